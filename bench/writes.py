"""The write benchmark (docs/performance.md, "Writes"; docs/scaling.md): audited writes per
second from 1, 2, 4 and 8 writer processes across 100 schools on one PostgreSQL, with the audit
trail as one chain for every school (one lock) and as one chain per school (a lock each), in one
run.

Each write is a real service call with its audit events, in its own transaction: a member of
staff files and submits a planned-contact request (`request_file`), the school's decider approves
it (`request_decide`), and a member of staff records unplanned contact (`record_create`), each at
a school chosen at random. Every writer measures, for each write, its wall time, the time spent
waiting for the chain lock, and the time the lock was then held until the transaction committed.

The single chain is measured by giving every school's writer the same lock key
(`safeguard.audit.chain.chain_lock_key`); everything else (the hashing, the head read) is the
per-school chain's, so the difference between the two is the lock alone.

    .venv/bin/python -m bench.writes                 # seeds safeguard_bench_writes once
    .venv/bin/python -m bench.writes --seconds 10 --writers 1,2,4
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from bench.benchmark import ROOT, _exists, _manage, _pg, _psql, database_url

DATABASE = "safeguard_bench_writes"
SCHOOLS = 100
RESULTS = ROOT / "bench" / "results"
DESIGNS = ("single", "per-school")


def prepare(*, reuse: bool) -> None:
    import subprocess

    if _exists(DATABASE) and not reuse:
        print(f"Dropping {DATABASE} (use --reuse to keep it)")
        subprocess.run([*_pg("dropdb"), "--if-exists", DATABASE], check=True)
    if not _exists(DATABASE):
        subprocess.run([*_pg("createdb"), DATABASE], check=True)
    _manage(DATABASE, "migrate", "--noinput", "--verbosity", "0")
    have = int(
        _psql(
            DATABASE, "SELECT count(*) FROM safeguard_school WHERE name LIKE 'Benchmark School %'"
        )
    )
    if have < SCHOOLS:
        print(f"Seeding {SCHOOLS} schools into {DATABASE} (a few minutes, once)")
        mark = time.perf_counter()
        _manage(DATABASE, "seed_bench", "--schools", str(SCHOOLS), "--verbosity", "0")
        print(f"  seeded in {time.perf_counter() - mark:.0f} s")
        _psql(DATABASE, "VACUUM ANALYZE")


# --- one writer process -------------------------------------------------------------------------


def _setup(design: str) -> dict:
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ["DATABASE_URL"] = database_url(DATABASE)
    import django

    django.setup()
    from safeguard.audit import chain, services

    timings: dict = {"wait": 0.0, "acquired": None, "committed": None}
    original = chain.lock_chain
    if design == "single":
        chain.chain_lock_key = lambda school_id: (chain.CHAIN_LOCK_CLASS, 0)

    def timed_lock(school_id: int) -> None:
        began = time.perf_counter()
        original(school_id)
        now = time.perf_counter()
        timings["wait"] += now - began
        if timings["acquired"] is None:
            timings["acquired"] = now

    services.lock_chain = timed_lock  # audit_record's lock, as it looks it up

    # The lock is released when the transaction commits: the moment the commit returns, before
    # any email sent on commit.
    from django.db.backends.base.base import BaseDatabaseWrapper

    commit = BaseDatabaseWrapper._commit  # type: ignore[attr-defined]

    def timed_commit(self: BaseDatabaseWrapper) -> None:
        commit(self)
        timings["committed"] = time.perf_counter()

    BaseDatabaseWrapper._commit = timed_commit  # type: ignore[attr-defined]
    return timings


def _people() -> list[dict]:
    """For each school: its decider, requesters (with a line manager, no senior role) and
    pupils on roll."""
    from contacts.people.models import Pupil, Staff
    from safeguard.core.models import School
    from safeguard.core.roles import GOVERNORS, SENIOR_LEADERS, Role

    schools = []
    for school in School.objects.filter(name__startswith="Benchmark School ").order_by("pk"):
        staff = Staff.objects.filter(school=school, is_active=True, line_manager__isnull=False)
        staff = staff.exclude(role_assignments__role__in=[*SENIOR_LEADERS, *GOVERNORS, Role.DSL])
        pupils = list(Pupil.objects.filter(school=school).current()[:50])
        head = Staff.objects.filter(
            school=school, is_active=True, role_assignments__role=Role.HEADTEACHER
        ).first()
        if head is None or not pupils:
            continue
        schools.append(
            {
                "school": school,
                "head": head,
                "staff": list(staff[:30]),
                "pupils": pupils,
            }
        )
    return schools


def _writer(design: str, seconds: float, seed: int, start, out) -> None:
    timings = _setup(design)
    import datetime as dt

    from django.db import connection
    from django.utils import timezone

    from contacts.planned.services import request_decide, request_file
    from contacts.records.services import record_create

    schools = _people()
    rng = random.Random(seed)
    samples: list[tuple[str, float, float, float]] = []
    failed = 0
    start.wait()
    deadline = time.perf_counter() + seconds
    step = 0
    pending = None
    while time.perf_counter() < deadline:
        at = rng.choice(schools)
        person, pupil = rng.choice(at["staff"]), rng.choice(at["pupils"])
        timings.update(wait=0.0, acquired=None, committed=None)
        began = time.perf_counter()
        kind = ("request", "decision", "record")[step % 3]
        try:
            if kind == "request":
                pending = request_file(
                    actor=person,
                    pupils=[pupil],
                    submit=True,
                    with_family_only=False,
                    kind="meeting",
                    purpose="work",
                    starts_at=timezone.now() + dt.timedelta(days=rng.randint(3, 60)),
                    place="Community centre",
                    reasons="Mentoring session agreed with the head of year.",
                )
            elif kind == "decision" and pending is not None:
                request_decide(
                    actor=_head_of(schools, pending),
                    contact_request=pending,
                    decision="approve",
                    expected_version=pending.version,
                )
                pending = None
            else:
                kind = "record"
                record_create(
                    actor=person,
                    record_type="unplanned",
                    pupils=[pupil],
                    kind="meeting",
                    purpose="work",
                    occurred_at=timezone.now() - dt.timedelta(hours=1),
                    details="Met by chance at the leisure centre; said hello and moved on.",
                    place="Leisure centre",
                )
        except Exception:  # a write refused (a head absent, say): counted, not measured
            failed += 1
            pending = None
            step += 1
            continue
        ended = time.perf_counter()
        acquired, committed = timings["acquired"], timings["committed"]
        hold = committed - acquired if acquired is not None and committed is not None else 0.0
        samples.append((kind, ended - began, timings["wait"], hold))
        step += 1
    connection.close()
    out.put({"samples": samples, "failed": failed})


def _head_of(schools: list[dict], contact_request: Any) -> Any:
    return next(s["head"] for s in schools if s["school"].pk == contact_request.school_id)


# --- the run ------------------------------------------------------------------------------------


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] if ordered else 0.0


def run(design: str, writers: int, seconds: float) -> dict:
    ctx = mp.get_context("spawn")
    start = ctx.Barrier(writers)
    out = ctx.Queue()
    procs = [
        ctx.Process(target=_writer, args=(design, seconds, 1000 * writers + n, start, out))
        for n in range(writers)
    ]
    for proc in procs:
        proc.start()
    results = [out.get() for _ in procs]
    for proc in procs:
        proc.join()
    samples = [s for r in results for s in r["samples"]]
    walls = [s[1] for s in samples]
    waits = [s[2] for s in samples]
    holds = [s[3] for s in samples if s[3] > 0]
    return {
        "design": design,
        "writers": writers,
        "seconds": seconds,
        "writes": len(samples),
        "failed": sum(r["failed"] for r in results),
        "per_second": len(samples) / seconds,
        "p50_ms": 1000 * _percentile(walls, 0.5),
        "p95_ms": 1000 * _percentile(walls, 0.95),
        "wait_share": sum(waits) / sum(walls) if walls else 0.0,
        "wait_p95_ms": 1000 * _percentile(waits, 0.95),
        "hold_mean_ms": 1000 * statistics.fmean(holds) if holds else 0.0,
    }


def table(rows: list[dict]) -> str:
    lines = [
        "| Chain | Writers | Writes/s | p50 | p95 | Share of each write waiting for the lock "
        "| Lock wait p95 | Lock held (mean) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(
            f"| {r['design']} | {r['writers']} | {r['per_second']:.0f} | {r['p50_ms']:.0f} ms "
            f"| {r['p95_ms']:.0f} ms | {100 * r['wait_share']:.1f} % | {r['wait_p95_ms']:.1f} ms "
            f"| {r['hold_mean_ms']:.1f} ms |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reuse", action="store_true", help=f"keep {DATABASE} if seeded")
    parser.add_argument("--seconds", type=float, default=20.0, help="per measurement (20)")
    parser.add_argument("--writers", default="1,2,4,8", help="writer processes (1,2,4,8)")
    args = parser.parse_args(argv)
    prepare(reuse=args.reuse)
    counts = [int(n) for n in args.writers.split(",")]
    rows = []
    for writers in counts:
        for design in DESIGNS:
            print(f"Measuring {design} chain, {writers} writer(s), {args.seconds:.0f} s")
            rows.append(run(design, writers, args.seconds))
            print(table(rows[-1:]).splitlines()[-1])
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = RESULTS / f"writes-{stamp}.json"
    path.write_text(json.dumps({"rows": rows, "cpus": os.cpu_count()}, indent=2))
    print(f"\n{table(rows)}\nSaved {Path(path).relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

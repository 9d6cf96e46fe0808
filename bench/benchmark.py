"""The benchmark (`make bench`): the daily pages on PostgreSQL at small and large scale, side by
side with a trivial page and Django's admin, written to bench/results/ and docs/performance.md.

For each scale: a database `safeguard_bench_<scale>` (dropped and made afresh unless --reuse),
migrated with `bench.settings`, seeded with `seed_bench --scale <scale>` when it holds no
benchmark school, vacuumed and analysed, then measured by `bench.benchmark_measure` in a
separate process (settings are read once per process). The results table in
docs/performance.md is rewritten between its markers from the newest result of each scale.

    .venv/bin/python -m bench.benchmark                 # both scales, fresh databases
    .venv/bin/python -m bench.benchmark --reuse         # keep seeded databases
    .venv/bin/python -m bench.benchmark --scale small --repeat 10 --no-docs
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DOCS = ROOT / "docs" / "performance.md"
PG = {"host": "127.0.0.1", "port": "5432", "user": "postgres"}
SCALES = ("small", "large")
REPEAT = {"small": 30, "large": 20}
START, END = "<!-- bench:results:start -->", "<!-- bench:results:end -->"
PAGE_ORDER = (
    "dashboard",
    "dashboard_after_change",
    "dashboard_first_of_day",
    "dashboard_afresh",
    "decision_queue",
    "my_requests",
    "pupil",
    "request",
    "request_form",
    "request_form_find",
    "monitoring",
    "report",
    "report_unchecked",
    "report_csv",
    "audit_csv",
    "floor",
    "admin",
)


def database_url(name: str) -> str:
    return f"postgres://{PG['user']}@{PG['host']}:{PG['port']}/{name}"


def _pg(*args: str) -> list[str]:
    return [*args, "-h", PG["host"], "-p", PG["port"], "-U", PG["user"]]


def _psql(database: str, sql: str) -> str:
    done = subprocess.run(
        [*_pg("psql"), "-d", database, "-tAX", "-c", sql],
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def _exists(name: str) -> bool:
    return _psql("postgres", f"SELECT 1 FROM pg_database WHERE datname = '{name}'") == "1"


# The benchmark databases' checkpoint signing key, kept across runs (--reuse meets the
# checkpoints it signed before), outside the repository; production keeps its own key outside
# the database server.
SIGNING_KEY = ROOT / "var" / "bench-audit-signing.key"


def _signing_key() -> str:
    if not SIGNING_KEY.exists():
        SIGNING_KEY.parent.mkdir(exist_ok=True)
        raw = Ed25519PrivateKey.generate().private_bytes_raw()
        SIGNING_KEY.write_text(base64.b64encode(raw).decode())
        SIGNING_KEY.chmod(0o600)
    return SIGNING_KEY.read_text().strip()


def _env(name: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(DJANGO_SETTINGS_MODULE="bench.settings", DATABASE_URL=database_url(name))
    env.setdefault("AUDIT_SIGNING_KEY", _signing_key())
    env.pop("DEBUG", None)
    return env


def _manage(name: str, *args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args, "--settings", "bench.settings"],
        cwd=ROOT,
        env=_env(name),
        check=True,
    )


def prepare(scale: str, *, reuse: bool) -> str:
    """The scale's database, migrated and seeded; returns its name."""
    name = f"safeguard_bench_{scale}"
    if _exists(name) and not reuse:
        print(f"Dropping {name} (use --reuse to keep it)")
        subprocess.run([*_pg("dropdb"), "--if-exists", name], check=True)
    if not _exists(name):
        print(f"Creating {name}")
        subprocess.run([*_pg("createdb"), name], check=True)
    _manage(name, "migrate", "--noinput", "--verbosity", "0")
    seeded = _psql(name, "SELECT count(*) FROM safeguard_school WHERE name = 'Benchmark Academy'")
    if seeded == "0":
        print(f"Seeding {name} at scale {scale} (large takes several minutes)")
        mark = time.perf_counter()
        _manage(name, "seed_bench", "--scale", scale, "--verbosity", "0")
        print(f"  seeded in {time.perf_counter() - mark:.0f} s")
        # As a production database would be after autovacuum: statistics and visibility map.
        _psql(name, "VACUUM ANALYZE")
    else:
        _psql(name, "ANALYZE")
    # As the nightly `verify_audit` would have: a full check of the chain, kept.
    print(f"Checking the audit chain of {name} (verify_audit)")
    mark = time.perf_counter()
    _manage(name, "verify_audit", "--verbosity", "0")
    print(f"  checked in {time.perf_counter() - mark:.0f} s")
    # And `audit_checkpoint` after it: the report then prints a signed checkpoint.
    print(f"Signing each school's chain head of {name} (audit_checkpoint)")
    mark = time.perf_counter()
    _manage(name, "audit_checkpoint", "--verbosity", "0")
    print(f"  signed in {time.perf_counter() - mark:.0f} s")
    return name


def measure(scale: str, name: str, repeat: int) -> Path:
    out = RESULTS / f"{time.strftime('%Y-%m-%d')}-{scale}.json"
    print(f"Measuring {scale} ({repeat} rounds)")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.benchmark_measure",
            "--scale",
            scale,
            "--repeat",
            str(repeat),
            "--out",
            str(out),
        ],
        cwd=ROOT,
        env=_env(name),
        check=True,
    )
    return out


def latest(scale: str) -> dict | None:
    found = sorted(RESULTS.glob(f"*-{scale}.json"))
    return json.loads(found[-1].read_text()) if found else None


def _mark(ok: bool) -> str:
    return "" if ok else " ✗"


def table(small: dict | None, large: dict | None) -> str:
    """The markdown table for docs/performance.md: large in full, small's count beside it."""
    main = large or small
    if main is None:
        return "No results yet: run `make bench`.\n"
    lines = []
    runs = [r for r in (small, large) if r]
    for run in runs:
        m = run["machine"]
        lines.append(
            f"- **{run['scale']}**, {run['ran_at']}: {run['repeat']} rounds after "
            f"{run['warm_up']} warm-up requests; load average {run['load_average_before'][0]} "
            f"before, {run['load_average_after'][0]} after; {m['nproc']} cores "
            f"({m.get('cpu', '?')}), "
            f"{m.get('ram_gb', '?')} GB RAM, PostgreSQL {m['postgresql']}, Python {m['python']}, "
            f"Django {m['django']}."
        )
    lines.append("")
    has_small = small is not None and main is not small
    head = "| Page | Median ms | p95 ms | × trivial | × admin | Queries |"
    rule = "| --- | ---: | ---: | ---: | ---: | ---: |"
    if has_small:
        head += " Queries (small) | Median ms (small) |"
        rule += " ---: | ---: |"
    lines += [f"At {main['scale']} scale:", "", head, rule]
    for key in PAGE_ORDER:
        row = main["pages"].get(key)
        if row is None:
            continue
        meets = row.get("meets", {})
        median = f"{row['median_ms']:.1f}"
        if key == "report":
            median += _mark(meets.get("report", True))
        if row["daily"]:
            label = row["label"]
        elif key in ("floor", "admin"):
            label = f"*{row['label']}* (reference)"
        else:
            label = f"*{row['label']}*"
        cells = [
            label,
            median,
            f"{row['p95_ms']:.1f}",
            f"{row['ratio_floor']:.2f}{_mark(meets.get('floor', True))}",
            f"{row['ratio_admin']:.2f}{_mark(meets.get('admin', True))}",
            f"{row['queries']}{_mark(meets.get('queries', True))}",
        ]
        if has_small:
            other = small["pages"].get(key, {})  # type: ignore[index]  # has_small: it is set
            small_ms = other.get("median_ms")
            small_median = "–" if small_ms is None else f"{small_ms:.1f}"
            cells += [str(other.get("queries", "–")), small_median]
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "✗ marks a target missed: at most 10 queries, a median within 3× the trivial page and "
        "no slower than the admin's change list, the governors' year report under 500 ms. "
        "Queries leave out BEGIN and COMMIT.",
    ]
    return "\n".join(lines) + "\n"


def write_docs() -> None:
    text = DOCS.read_text()
    if START not in text or END not in text:
        print(f"No results markers in {DOCS}: table not written.")
        return
    before, rest = text.split(START, 1)
    _old, after = rest.split(END, 1)
    DOCS.write_text(f"{before}{START}\n{table(latest('small'), latest('large'))}{END}{after}")
    print(f"Wrote the results table into {DOCS.relative_to(ROOT)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", action="append", choices=SCALES, help="default: both")
    parser.add_argument("--reuse", action="store_true", help="keep existing seeded databases")
    parser.add_argument("--repeat", type=int, help="rounds per scale (default 30 small, 20 large)")
    parser.add_argument("--no-docs", action="store_true", help="leave docs/performance.md alone")
    args = parser.parse_args(argv)
    scales = args.scale or list(SCALES)
    RESULTS.mkdir(parents=True, exist_ok=True)
    for scale in scales:
        name = prepare(scale, reuse=args.reuse)
        measure(scale, name, args.repeat or REPEAT[scale])
    if not args.no_docs:
        write_docs()
    return 0


if __name__ == "__main__":
    sys.exit(main())

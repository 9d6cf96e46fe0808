"""The restart drill (`make drill`): PostgreSQL goes away in the middle of a load run.

    .venv/bin/python -m bench.drill                       # large school, PostgreSQL restarted
    .venv/bin/python -m bench.drill --scale small --outage isolate   # a rehearsal (see below)

The load test's stack (bench.load.run: the seeded database, --servers app servers (two by
default) under production settings, locust's staff, headteacher, line managers and governors,
scans uploaded to one server and downloaded from the other) runs for --duration seconds. At
--at seconds PostgreSQL is stopped (`pg_ctlcluster ... stop`, which ends every connection), left
down for --down seconds, and started again; gunicorn is never touched. Meanwhile a probe asks
each server's /health/ in turn every 0.2 s. The drill then prints the timeline and checks:

- while the database is down, the app answers 503 with its own page (safeguard.core.errors), never a
  500, and /health/ says 503;
- within five seconds of PostgreSQL accepting connections again, requests succeed again and
  the 503s stop (CONN_HEALTH_CHECKS: each request checks a kept connection before using it);
- nothing acknowledged was lost or half-applied (bench.load.check: every acknowledged
  submission, decision and review is in the database; every request touched during the run
  replays from its audit events to its stored state), and `verify_audit` passes.

Stopping PostgreSQL stops it for everyone on the machine. So, before the run, the drill waits
(up to --wait seconds) until no test suite is using PostgreSQL and no other database on the
server is busy, and gives up without touching PostgreSQL if that does not happen. `--outage
isolate` rehearses without a restart: only this database refuses connections for --down
seconds (ALLOW_CONNECTIONS false, its sessions ended), which nobody else notices.

Results go to bench/results/drill-<date>.json. The exit status is 1 if any check failed.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.load.run import (
    ROOT,
    Load,
    Stack,
    _pg,
    get,
    loadavg,
    log,
    save,
    start_servers,
    stop_servers,
    verify,
)

RECOVERY_TARGET_S = 5.0


def cluster() -> tuple[str, str]:
    versions = sorted(os.listdir("/etc/postgresql"))
    if not versions:
        raise SystemExit("No PostgreSQL cluster under /etc/postgresql.")
    return versions[-1], "main"


def pg_ctl(action: str) -> None:
    version, name = cluster()
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, name, action],
        check=True,
        capture_output=True,
    )


def pg_ready() -> bool:
    return (
        subprocess.run(
            ["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-q"], check=False
        ).returncode
        == 0
    )


# --- Not breaking anyone else's work ------------------------------------------------------------


def others_using_postgres(own_database: str) -> list[str]:
    """Test suites on PostgreSQL, and busy sessions on other databases of this server."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if "pytest" in cmdline and any(
            line.startswith(b"DATABASE_URL=postgres") for line in environ
        ):
            found.append(f"pid {pid}: {cmdline.strip()[:100]}")
    with contextlib.closing(_pg()) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT datname, state, left(query, 60) FROM pg_stat_activity "
            "WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() "
            "AND datname IS DISTINCT FROM %s AND state IS DISTINCT FROM 'idle'",
            [own_database],
        )
        found += [f"{db} ({state}): {query}" for db, state, query in cur.fetchall()]
    return found


def wait_for_others(own_database: str, seconds: float) -> list[str]:
    deadline = time.monotonic() + seconds
    while True:
        busy = others_using_postgres(own_database)
        if not busy or time.monotonic() >= deadline:
            return busy
        log(f"PostgreSQL is in use by others; waiting (up to {seconds:.0f} s): {busy[0]}")
        time.sleep(10)


# --- The outage ---------------------------------------------------------------------------------


class Outage:
    """Takes the database away for `down` seconds and records when things happened."""

    def __init__(self, kind: str, database: str, down: float) -> None:
        self.kind, self.database, self.down = kind, database, down
        self.times: dict[str, float] = {}

    def run(self) -> None:
        self.times["stop_begins"] = time.time()
        if self.kind == "restart":
            pg_ctl("stop")
        else:
            self._isolate(allow=False)
        self.times["db_down"] = time.time()
        time.sleep(self.down)
        self.times["start_begins"] = time.time()
        if self.kind == "restart":
            # pg_ctlcluster returns a second or two after the server accepts connections:
            # the database is back at the first moment pg_isready says so.
            starting = subprocess.Popen(["pg_ctlcluster", "--skip-systemctl-redirect",
                                         *cluster(), "start"])  # fmt: skip
            while not pg_ready():
                time.sleep(0.05)
            self.times["db_back"] = time.time()
            if starting.wait(timeout=120) != 0:
                raise SystemExit("pg_ctlcluster start failed: start PostgreSQL by hand.")
        else:
            self._isolate(allow=True)
            self.times["db_back"] = time.time()

    def _isolate(self, allow: bool) -> None:
        with contextlib.closing(_pg()) as conn, conn.cursor() as cur:
            cur.execute(f'ALTER DATABASE "{self.database}" ALLOW_CONNECTIONS {str(allow).lower()}')
            if not allow:
                cur.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                    [self.database],
                )


class Probe(threading.Thread):
    """Asks each server's /health/ in turn, every 0.2 s: (time, status) pairs."""

    def __init__(self, urls: list[str]) -> None:
        super().__init__(daemon=True)
        self.seen: list[tuple[float, int]]  # (when, the health page's status)
        self.urls, self.seen, self.stopped = urls, [], threading.Event()

    def run(self) -> None:
        turn = 0
        while not self.stopped.is_set():
            at = time.time()
            url = self.urls[turn % len(self.urls)]
            turn += 1
            self.seen.append((at, get(f"{url}/health/", timeout=2)))
            self.stopped.wait(0.2)


# --- The timeline -------------------------------------------------------------------------------


def timeline(load: Load, probe: Probe, outage: Outage, ready: float) -> dict:
    rows = [r for r in load.rows() if r[1] != "READY" and r[0] >= ready]
    times = outage.times
    down, back = times.get("stop_begins"), times.get("db_back")

    def first(items, test):
        return next((t for t, *rest in items if test(t, *rest)), None)

    def rel(t: float | None) -> float | None:
        return None if t is None else round(t - ready, 2)

    # A request counts when its answer came (start + duration) for the 503s, and when it was
    # sent for the recovery: the first request sent after the database was back.
    requests = [(r[0], r[3], r[5]) for r in rows]
    answered = sorted((r[0] + r[4] / 1000, r[3], r[5]) for r in rows)
    not_ours = sum(1 for r in rows if r[3] >= 500 and r[6] != "app")
    statuses: dict[str, int] = {}
    for _t, status, ok in requests:
        key = "ok" if ok else str(status)
        statuses[key] = statuses.get(key, 0) + 1
    first_503 = first(answered, lambda t, s, ok: s == 503)
    last_503 = max((t for t, s, _ok in answered if s == 503), default=None)
    first_ok_after = (
        first(requests, lambda t, s, ok: ok and t >= back) if back is not None else None
    )
    health_503 = first(probe.seen, lambda t, s: s == 503)
    health_ok_after = (
        first(probe.seen, lambda t, s: s == 200 and t >= back) if back is not None else None
    )
    gap = None if first_ok_after is None or back is None else round(first_ok_after - back, 2)
    return {
        "t0_load_starts": 0.0,
        "db_stop_begins": rel(down),
        "db_down": rel(times.get("db_down")),
        "first_503": rel(first_503),
        "health_first_503": rel(health_503),
        "db_start_begins": rel(times.get("start_begins")),
        "db_back": rel(back),
        "first_success_after": rel(first_ok_after),
        "health_200_after": rel(health_ok_after),
        "last_503": rel(last_503),
        "recovery_gap_s": gap,
        "responses": statuses,
        "count_503": statuses.get("503", 0),
        "count_5xx_not_the_app_page": not_ours,
        "count_500": sum(n for k, n in statuses.items() if k.startswith("5") and k != "503"),
        "other_failures": sum(
            n for k, n in statuses.items() if k != "ok" and not k.startswith("5")
        ),
        "health_probes": len(probe.seen),
        "health_503s": sum(1 for _t, s in probe.seen if s == 503),
        "health_other": sorted({s for _t, s in probe.seen if s not in (200, 503)}),
    }


def print_timeline(t: dict, outage: str) -> None:
    def at(key: str) -> str:
        return "never" if t[key] is None else f"t={t[key]:6.2f} s"

    what = "PostgreSQL restarted" if outage == "restart" else "the database isolated"
    print(f"Timeline ({what}; t=0 when every user had signed in and the load began):")
    for key, label in [
        ("t0_load_starts", "load starts"),
        ("db_stop_begins", "database stop begins"),
        ("db_down", "database stopped"),
        ("first_503", "first 503 answered to a user"),
        ("health_first_503", "first 503 from /health/"),
        ("db_start_begins", "database start begins"),
        ("db_back", "database accepting connections"),
        ("first_success_after", "first user request sent after that to succeed"),
        ("health_200_after", "first 200 from /health/ after"),
        ("last_503", "last 503 answered to a user"),
    ]:
        print(f"  {at(key)}  {label}")
    print(
        f"  recovery gap: {t['recovery_gap_s']} s (target at most {RECOVERY_TARGET_S:.0f} s); "
        f"user requests: {t['responses']}; 503s: {t['count_503']}, 500s: {t['count_500']}, "
        f"other failures: {t['other_failures']}; 5xx not the app's 503 page: "
        f"{t['count_5xx_not_the_app_page']}; /health/: {t['health_probes']} probes, "
        f"{t['health_503s']} said 503"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=("small", "large"), default="large")
    parser.add_argument("--database", help="default: safeguard_load_<scale>")
    parser.add_argument("--outage", choices=("restart", "isolate"), default="restart")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--servers", type=int, default=2, help="app servers, one database")
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--at", type=float, default=15.0, help="seconds into the load")
    parser.add_argument("--down", type=float, default=5.0, help="seconds the database is down")
    parser.add_argument("--wait", type=float, default=300.0, help="for others to finish")
    parser.add_argument("--keep", action="store_true", help="keep the run's files")
    args = parser.parse_args(argv)
    database = args.database or f"safeguard_load_{args.scale}"

    work = Path(tempfile.mkdtemp(prefix="safeguard-drill-"))
    try:
        stack = Stack(args.scale, database, work)
        if args.outage == "restart":
            busy = wait_for_others(database, args.wait)
            if busy:
                log("Not restarting PostgreSQL: others are still using it: " + "; ".join(busy))
                return 2
        run = work / "drill"
        run.mkdir()
        load = Load(run, args.users, args.duration)
        outage = Outage(args.outage, database, args.down)
        log(
            f"{args.servers} app server(s), each gunicorn 2 workers x {args.threads} threads; "
            f"{args.users} users; "
            f"the database goes at t={args.at:.0f} s for {args.down:.0f} s ({args.outage})"
        )
        servers = start_servers(stack.env, args.threads, run, args.servers)
        log(f"Serving on {', '.join(s.url for s in servers)}")
        probe = Probe([s.url for s in servers])
        before = loadavg()
        try:
            locust = load.start(servers, stack.accounts)
            while (ready := load.ready_at()) is None:
                if locust.poll() is not None:
                    raise SystemExit(f"locust stopped before the load began: {run}/locust.out")
                time.sleep(0.2)
            probe.start()
            time.sleep(max(0.0, ready + args.at - time.time()))
            if args.outage == "restart" and (busy := others_using_postgres(database)):
                log("Not restarting PostgreSQL after all: " + "; ".join(busy))
            else:
                outage.run()
            locust.wait(timeout=args.duration + 300)
        finally:
            probe.stopped.set()
            stop_servers(servers)
            if args.outage == "isolate" and "db_back" not in outage.times:
                outage._isolate(allow=True)
        after = loadavg()
        if args.outage == "restart" and "db_back" in outage.times:
            # pg_ctlcluster start returns once the server accepts connections.
            while not pg_ready():
                time.sleep(0.2)
        t = timeline(load, probe, outage, ready)
        print_timeline(t, args.outage)
        check = verify(stack.env, load, since=load.rows()[0][0] - 1)
        gunicorn_log = "".join(
            path.read_text(errors="replace") for path in run.glob("gunicorn-*.log")
        )
        result = {
            "when": dt.datetime.now().isoformat(timespec="seconds"),
            "scale": args.scale,
            "database": database,
            "outage": args.outage,
            "down_s": args.down,
            "servers": args.servers,
            "gunicorn": servers[0].settings(),
            "users": args.users,
            "duration_s": args.duration,
            "loadavg_before": before,
            "loadavg_after": after,
            "timeline": t,
            "server_log_tracebacks": gunicorn_log.count("Traceback (most recent call last)"),
            "check": check,
        }
        result["passed"] = bool(
            "db_back" in outage.times
            and t["count_500"] == 0
            and t["count_5xx_not_the_app_page"] == 0
            and t["other_failures"] == 0
            and t["count_503"] > 0
            and t["health_503s"] > 0
            and t["recovery_gap_s"] is not None
            and t["recovery_gap_s"] <= RECOVERY_TARGET_S
            and (t["last_503"] or 0) <= t["db_back"] + RECOVERY_TARGET_S
            and check["ok"]
            and check["verify_audit"]["passed"]
        )
        path = save(result, "drill")
        c = check
        acked = ", ".join(f"{n} {k}" for k, n in c["acknowledged"].items())
        print(
            f"Acknowledged: {acked}; all found and whole: {'yes' if c['ok'] else 'NO'} "
            f"({c['requests_checked']} requests replayed); verify_audit: "
            f"{'passed' if c['verify_audit']['passed'] else 'FAILED'}"
        )
        print(
            f"Drill {'PASSED' if result['passed'] else 'FAILED'}; added to {path.relative_to(ROOT)}"
        )
        return 0 if result["passed"] else 1
    finally:
        if args.keep:
            log(f"Run files kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

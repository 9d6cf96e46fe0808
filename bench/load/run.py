"""The load test (`make load`): two app servers, PostgreSQL and locust, all on loopback.

    .venv/bin/python -m bench.load.run                     # large school, 2 servers of 2 x 4
    .venv/bin/python -m bench.load.run --threads 2,4,8     # one 60 s run for each
    .venv/bin/python -m bench.load.run --scale small --users 20 --duration 20
    .venv/bin/python -m bench.load.run --servers 1         # the one-server shape

1. The database `safeguard_load_<scale>` on the local PostgreSQL is made if missing, migrated,
   seeded with `seed_bench --scale <scale>` if it holds no Benchmark Academy, then vacuumed and
   analysed; an existing one is reused (and grows a little with every run).
2. The app runs as production would: DEBUG off, a random SECRET_KEY, ALLOWED_HOSTS 127.0.0.1,
   static files collected into a temporary STATIC_ROOT and served by WhiteNoise, sessions and
   data in PostgreSQL, and --servers app servers (two by default), each gunicorn with 2 workers
   of the gthread class on its own loopback port, over the one database: what two machines
   behind a load balancer would be. Nothing is shared between them but PostgreSQL: uploaded
   files, sessions, the sign-in lockout and the cache are all in it. HTTPS is what a proxy in
   front would terminate: locust sends `X-Forwarded-Proto: https` (SECURE_PROXY_SSL_HEADER),
   so the HTTPS redirect, Secure `__Host-` cookies and the CSRF Referer check all stay on.
   Email goes to Django's dummy backend (the mail server is not what is measured).
3. locust (headless, bench/load/locustfile.py) starts the users, each signing in through the
   real pages on one of the servers (they alternate); once all have, it runs for --duration
   seconds: the measured window. A letter's scan uploaded to one server is downloaded from the
   other at once, and must come back byte for byte.
4. Then `bench.load.check` finds everything acknowledged in the database (each uploaded file
   too, read back through the storage), replays every touched request's audit events, and
   `manage.py verify_audit` checks the whole chain.

The summary is printed and added to bench/results/load-<date>.json. The exit status is 1 if
any request failed, a check found a problem, or the audit chain does not verify.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results"
LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
PY = sys.executable
PG_SERVER = os.environ.get("LOAD_PG", "postgres://postgres@127.0.0.1:5432")
WORKERS = 2
DEFAULT_THREADS = 4
DEFAULT_USERS = 20
DEFAULT_SERVERS = 2
DURATION = 60.0


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- The database -----------------------------------------------------------------------------


def _pg(dbname: str = "postgres"):
    import psycopg2

    conn = psycopg2.connect(f"{PG_SERVER}/{dbname}")
    conn.autocommit = True
    return conn


def database_url(name: str) -> str:
    return f"{PG_SERVER}/{name}"


def _seeded(name: str) -> bool:
    import psycopg2

    with contextlib.closing(_pg(name)) as conn, conn.cursor() as cur:
        try:
            cur.execute("SELECT 1 FROM safeguard_school WHERE name = 'Benchmark Academy'")
        except psycopg2.Error:
            return False
        return cur.fetchone() is not None


def ensure_postgres() -> None:
    """Start the local cluster if it is not answering (as CI does)."""
    ready = ["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-q"]
    if subprocess.run(ready, check=False).returncode == 0:
        return
    log("PostgreSQL is not answering; starting it")
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"], check=False
    )
    for _ in range(30):
        if subprocess.run(ready, check=False).returncode == 0:
            return
        time.sleep(1)
    raise SystemExit("PostgreSQL did not start.")


def ensure_database(name: str, scale: str, env: dict[str, str]) -> None:
    """Create, migrate and seed the database unless it is already seeded."""
    if PG_SERVER.endswith("@127.0.0.1:5432"):
        ensure_postgres()
    with contextlib.closing(_pg()) as conn, conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cur.fetchone() is None:
            log(f"Creating database {name}")
            cur.execute(f'CREATE DATABASE "{name}"')
    manage(env, "migrate", "--noinput", quiet=True)
    if _seeded(name):
        log(f"Reusing {name}: Benchmark Academy is already there")
        return
    log(f"Seeding {name} with seed_bench --scale {scale} (large takes about six minutes)")
    started = time.monotonic()
    manage(env, "seed_bench", "--scale", scale, "--settings", "bench.settings")
    log(f"Seeded in {time.monotonic() - started:.0f} s; vacuuming and analysing")
    with contextlib.closing(_pg(name)) as conn, conn.cursor() as cur:
        cur.execute("VACUUM ANALYZE")


def manage(env: dict[str, str], *args: str, quiet: bool = False) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [PY, "manage.py", *args], cwd=ROOT, env=env, capture_output=quiet, text=True
    )
    if result.returncode != 0:
        detail = (result.stdout or "") + (result.stderr or "") if quiet else ""
        raise SystemExit(f"manage.py {' '.join(args)} failed ({result.returncode}). {detail}")
    return result


def production_env(url: str, work: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Production settings (safeguard/settings.py with DEBUG off) for a server on loopback."""
    env = {k: v for k, v in os.environ.items() if k not in {"SAFEGUARD_TEST_RUN", "DEBUG"}}
    env |= {
        "DJANGO_SETTINGS_MODULE": "safeguard.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": url,
        "STATIC_ROOT": str(work / "static"),
        # Uploads in the database (the default), as every server must read them; a folder
        # would do only if every server mounted it.
        "UPLOAD_STORAGE": "database",
        "EMAIL_URL": "dummymail://",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    return env | (extra or {})


# --- The server -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str, timeout: float = 2.0) -> int:
    """The status of a GET as the proxy would pass it on (0 if nothing answered)."""
    request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (OSError, urllib.error.URLError):
        return 0


@dataclass
class Server:
    env: dict[str, str]
    threads: int
    log_path: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def settings(self) -> dict:
        return {
            "server": "gunicorn",
            "workers": WORKERS,
            "worker_class": "gthread",
            "threads": self.threads,
            "conn_max_age": self.env.get("CONN_MAX_AGE", "60 (production default)"),
        }

    def start(self) -> None:
        command = [
            PY, "-m", "gunicorn", "safeguard.wsgi:application",
            "--workers", str(WORKERS), "--worker-class", "gthread",
            "--threads", str(self.threads), "--bind", f"127.0.0.1:{self.port}",
            "--timeout", "30", "--graceful-timeout", "10", "--keep-alive", "5",
            "--log-level", "warning", "--error-logfile", str(self.log_path),
        ]  # fmt: skip
        # Django's own log (warnings, the 503s' tracebacks) goes to the same file.
        output = self.log_path.open("a")
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=output, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited ({self.process.returncode}): {self.log_path}")
            if get(f"{self.url}/health/") == 200:
                return
            time.sleep(0.3)
        self.stop()
        raise SystemExit(f"gunicorn did not answer /health/ within 60 s: {self.log_path}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# --- The load ---------------------------------------------------------------------------------


@dataclass
class Load:
    """One locust run and the files it leaves."""

    work: Path
    users: int
    duration: float
    events: Path = field(init=False)
    acks: Path = field(init=False)

    def __post_init__(self) -> None:
        self.events = self.work / "events.tsv"
        self.acks = self.work / "acks.jsonl"
        for path in (self.events, self.acks):
            path.write_text("")

    def start(self, servers: list[Server], accounts: Path) -> subprocess.Popen:
        env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"} | {
            "LOAD_HOSTS": ",".join(server.url for server in servers),
            "LOAD_ACCOUNTS": str(accounts),
            "LOAD_ACKS": str(self.acks),
            "LOAD_EVENTS": str(self.events),
            "LOAD_USERS": str(self.users),
            "LOAD_DURATION": str(self.duration),
        }
        command = [
            PY, "-m", "locust", "-f", str(LOCUSTFILE), "--headless",
            "--users", str(self.users), "--spawn-rate", str(max(1, self.users // 10)),
            "--host", servers[0].url,
            # A cap only: the locustfile stops the run `duration` seconds after every user
            # has signed in.
            "--run-time", f"{int(self.duration + 240)}s", "--stop-timeout", "10",
            "--only-summary", "--loglevel", "WARNING", "--exit-code-on-error", "0",
            "--csv", str(self.work / "locust"),
        ]  # fmt: skip
        return subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=(self.work / "locust.out").open("w"),
            stderr=subprocess.STDOUT,
        )

    def rows(self) -> list[tuple[float, str, str, int, float, bool, str, int]]:
        """(start, method, name, status, ms, succeeded, whose 5xx page, the server's port) for
        each request."""
        rows = []
        for line in self.events.read_text().splitlines():
            start, method, name, status, ms, ok, page, *port = line.split("\t")
            rows.append(
                (
                    float(start),
                    method,
                    name,
                    int(status),
                    float(ms),
                    ok == "1",
                    page,
                    int(port[0]) if port else 0,
                )
            )
        return rows

    def ready_at(self) -> float | None:
        return next((r[0] for r in self.rows() if r[1] == "READY"), None)


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, int(-(-share * len(ordered) // 1)))
    return ordered[min(rank, len(ordered)) - 1]


def latency(rows: list) -> dict:
    times = [r[4] for r in rows]
    return {
        "requests": len(rows),
        "errors": sum(1 for r in rows if not r[5]),
        "p50_ms": percentile(times, 0.50),
        "p95_ms": percentile(times, 0.95),
        "p99_ms": percentile(times, 0.99),
        "max_ms": max(times, default=0.0),
    }


def summarize(load: Load) -> dict:
    rows = load.rows()
    ready = load.ready_at()
    if ready is None:
        raise SystemExit(f"The users never all signed in: see {load.work / 'locust.out'}")
    requests = [r for r in rows if r[1] != "READY"]
    window = [r for r in requests if ready <= r[0] < ready + load.duration]
    signing_in = [r for r in requests if r[0] < ready]
    statuses: dict[str, int] = {}
    for r in window:
        if not r[5]:
            statuses[str(r[3])] = statuses.get(str(r[3]), 0) + 1
    names = sorted({r[2] for r in window})
    servers: dict[str, int] = {}
    for r in window:
        servers[str(r[7])] = servers.get(str(r[7]), 0) + 1
    return {
        "users": load.users,
        "duration_s": load.duration,
        "rps": round(len(window) / load.duration, 1),
        **latency(window),
        "errors_by_status": statuses,
        "requests_by_server_port": servers,
        "pages": {name: latency([r for r in window if r[2] == name]) for name in names},
        "sign_in_phase": latency(signing_in)
        | {"seconds": round(ready - min((r[0] for r in rows), default=ready), 1)},
    }


# --- After the run ----------------------------------------------------------------------------


def verify(env: dict[str, str], load: Load, since: float) -> dict:
    out = load.work / "check.json"
    result = subprocess.run(
        [PY, "-m", "bench.load.check", "--acks", str(load.acks), "--since", str(since),
         "--out", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    log(f"check: {result.stdout.strip()}")
    if result.returncode not in (0, 1):
        raise SystemExit(f"bench.load.check failed: {result.stderr}")
    check = json.loads(out.read_text())
    started = time.monotonic()
    audit = subprocess.run(
        [PY, "manage.py", "verify_audit"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    seconds = round(time.monotonic() - started, 1)
    said = (audit.stdout + audit.stderr).strip().splitlines()
    log(f"verify_audit ({seconds} s): {said[-1] if said else audit.returncode}")
    check["verify_audit"] = {
        "passed": audit.returncode == 0,
        "seconds": seconds,
        "output": said[-3:],
    }
    return check


def machine(env: dict[str, str]) -> dict:
    with contextlib.closing(_pg()) as conn, conn.cursor() as cur:
        cur.execute("SHOW server_version")
        pg = cur.fetchone()[0]
    versions = subprocess.run(
        [PY, "-c", "import django, gunicorn, locust; "
         "print(django.get_version(), gunicorn.__version__, locust.__version__)"],
        capture_output=True, text=True, cwd=ROOT,
    ).stdout.split()  # fmt: skip
    return {
        "cpus": os.cpu_count(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30),
        "python": platform.python_version(),
        "postgresql": pg,
        "django": versions[0] if versions else "",
        "gunicorn": versions[1] if len(versions) > 1 else "",
        "locust": versions[2] if len(versions) > 2 else "",
        "note": "locust, gunicorn and PostgreSQL share the same cores",
    }


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def save(result: dict, name: str) -> Path:
    """Add this run to bench/results/<name>-<date>.json (one file a day, runs appended)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}-{dt.date.today().isoformat()}.json"
    runs = json.loads(path.read_text())["runs"] if path.exists() else []
    path.write_text(json.dumps({"runs": [*runs, result]}, indent=1) + "\n")
    return path


# --- One run ----------------------------------------------------------------------------------


@dataclass
class Stack:
    """A seeded database, the production environment, the accounts: shared by every run."""

    scale: str
    database: str
    work: Path
    env: dict[str, str] = field(init=False)
    accounts: Path = field(init=False)

    def __post_init__(self) -> None:
        self.env = production_env(database_url(self.database), self.work)
        ensure_database(self.database, self.scale, self.env)
        log("Collecting static files into a temporary STATIC_ROOT")
        manage(self.env, "collectstatic", "--noinput", quiet=True)
        self.accounts = self.work / "accounts.json"
        said = subprocess.run(
            [PY, "-m", "bench.load.prepare", "--out", str(self.accounts)],
            cwd=ROOT, env=self.env, capture_output=True, text=True,
        )  # fmt: skip
        if said.returncode != 0:
            raise SystemExit(f"bench.load.prepare failed: {said.stdout}{said.stderr}")
        log(f"Accounts: {said.stdout.strip()}")


def start_servers(env: dict[str, str], threads: int, work: Path, count: int) -> list[Server]:
    """`count` app servers on their own ports over the one database, each with its own log."""
    servers = [Server(env, threads, work / f"gunicorn-{i}.log") for i in range(1, count + 1)]
    started: list[Server] = []
    try:
        for server in servers:
            server.start()
            started.append(server)
    except BaseException:
        stop_servers(started)
        raise
    return servers


def stop_servers(servers: list[Server]) -> None:
    for server in servers:
        server.stop()


def run_once(
    stack: Stack, threads: int, users: int, duration: float, tag: str, servers: int
) -> dict:
    work = stack.work / tag
    work.mkdir()
    # The code may have moved on since the last run (a shared work tree): its migrations too.
    manage(stack.env, "migrate", "--noinput", quiet=True)
    load = Load(work, users, duration)
    log(
        f"[{tag}] {servers} app server(s), each gunicorn {WORKERS} workers x {threads} threads; "
        f"{users} users"
    )
    running = start_servers(stack.env, threads, work, servers)
    log(f"[{tag}] serving on {', '.join(s.url for s in running)}")
    before = loadavg()
    try:
        locust = load.start(running, stack.accounts)
        locust.wait(timeout=duration + 300)
    finally:
        stop_servers(running)
    summary = summarize(load)
    after = loadavg()
    check = verify(stack.env, load, since=load.rows()[0][0] - 1 if load.rows() else time.time())
    return {
        "when": dt.datetime.now().isoformat(timespec="seconds"),
        "scale": stack.scale,
        "database": stack.database,
        "servers": servers,
        "gunicorn": running[0].settings(),
        "loadavg_before": before,
        "loadavg_after": after,
        **summary,
        "check": check,
        "passed": summary["errors"] == 0 and check["ok"] and check["verify_audit"]["passed"],
    }


def report(result: dict) -> str:
    g = result["gunicorn"]
    lines = [
        f"{result.get('servers', 1)} server(s) of {g['workers']} workers x {g['threads']} "
        f"threads, {result['users']} users, "
        f"{result['duration_s']:.0f} s: {result['rps']} requests/s, "
        f"p50 {result['p50_ms']:.0f} ms, p95 {result['p95_ms']:.0f} ms, "
        f"p99 {result['p99_ms']:.0f} ms, {result['errors']} errors "
        f"of {result['requests']} requests (load average {result['loadavg_after'][0]})",
    ]
    lines.append(f"    requests by server (port): {result['requests_by_server_port']}")
    for name, page in result["pages"].items():
        lines.append(
            f"    {name:<42} {page['requests']:>6}  p50 {page['p50_ms']:>6.0f}  "
            f"p95 {page['p95_ms']:>6.0f}  p99 {page['p99_ms']:>6.0f} ms  errors {page['errors']}"
        )
    s = result["sign_in_phase"]
    lines.append(
        f"    sign-in phase (not measured): {s['requests']} requests in {s['seconds']} s, "
        f"p50 {s['p50_ms']:.0f} ms, max {s['max_ms']:.0f} ms, errors {s['errors']}"
    )
    c = result["check"]
    acked = ", ".join(f"{n} {k}" for k, n in c["acknowledged"].items())
    lines.append(
        f"    acknowledged: {acked}; all found and whole: {'yes' if c['ok'] else 'NO'} "
        f"({c['requests_checked']} requests replayed); verify_audit: "
        f"{'passed' if c['verify_audit']['passed'] else 'FAILED'}"
    )
    return "\n".join(lines)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=("small", "large"), default="large")
    parser.add_argument("--database", help="default: safeguard_load_<scale>")
    parser.add_argument(
        "--threads", default=str(DEFAULT_THREADS), help="gthread threads per worker; a list "
        "such as 2,4,8 makes one run for each"
    )  # fmt: skip
    parser.add_argument("--users", default=str(DEFAULT_USERS), help="a number, or a list")
    parser.add_argument("--duration", type=float, default=DURATION)
    parser.add_argument(
        "--servers", type=int, default=DEFAULT_SERVERS, help="app servers over the one "
        "database (1: the old one-server shape)"
    )  # fmt: skip
    parser.add_argument("--keep", action="store_true", help="keep the run's files")
    parser.add_argument("--no-save", action="store_true", help="print only (for trials)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    work = Path(tempfile.mkdtemp(prefix="safeguard-load-"))
    results = []
    try:
        stack = Stack(args.scale, args.database or f"safeguard_load_{args.scale}", work)
        runs = [(int(t), int(u)) for t in args.threads.split(",") for u in args.users.split(",")]
        for i, (threads, users) in enumerate(runs, 1):
            result = run_once(stack, threads, users, args.duration, f"run{i}", args.servers)
            results.append(result)
            print(report(result), flush=True)
            if not args.no_save:
                path = save(result, "load")
                log(f"Added to {path.relative_to(ROOT)}")
    finally:
        if args.keep:
            log(f"Run files kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0 if all(r["passed"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())

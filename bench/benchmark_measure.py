"""Measure the daily pages on one seeded benchmark database (run by `bench/benchmark.py`).

In-process, with Django's test client against the real PostgreSQL database named by
DATABASE_URL (settings `bench.settings`: DEBUG off, the admin added as a reference). Each page
is opened by the person who uses it, signed in the whole way (the second factor passed where
their role needs one). Per page: a few warm-up requests, one with the queries captured, then
`--repeat` rounds in which every page is requested once, so that each page sees the same
conditions on a shared machine. Server time is the wall time of the client call, the whole
streamed body read.

    DJANGO_SETTINGS_MODULE=bench.settings DATABASE_URL=postgres://… \
        python -m bench.benchmark_measure --scale small --out bench/results/….json
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.data import BENCH_DOMAIN, FOCUS_PUPIL, bench_school  # noqa: E402
from contacts.people.models import Pupil, Staff  # noqa: E402
from contacts.people.pupil_picker import FIND_BUTTON, FIND_INPUT  # noqa: E402
from contacts.planned.models import ContactRequest, Status  # noqa: E402
from contacts.records import services as records_services  # noqa: E402
from contacts.records.models import ContactRecord, Disclosure  # noqa: E402
from safeguard.audit.models import AuditCheck, AuditEvent  # noqa: E402
from safeguard.reports.selectors import school_year  # noqa: E402
from tests.helpers import sign_in  # noqa: E402  (signed in as the tests sign in)

WARM_UP = 3
TARGET_QUERIES = 10
TARGET_FLOOR_RATIO = 3.0
TARGET_REPORT_MS = 500.0


@dataclass
class Page:
    key: str
    label: str
    who: str  # the account's key in the benchmark school (head, coach, manager1, ...)
    url: str
    daily: bool = True  # False for the two references
    post: dict | None = None  # a form posted back to its page (the pupil picker's Find)


def _account(key: str) -> Staff:
    return Staff.objects.get(email=f"{key}@{BENCH_DOMAIN}")


def pages() -> tuple[list[Page], dict]:
    school = bench_school()
    if school is None:
        raise SystemExit("No Benchmark Academy in this database: run seed_bench first.")
    coach = _account("coach")
    first, last = FOCUS_PUPIL
    pupil = Pupil.objects.get(school=school, first_name=first, last_name=last)
    # The request page: the busy coach's latest completed request, with its whole history.
    item = (
        ContactRequest.objects.filter(requester=coach, status=Status.COMPLETED)
        .order_by("-starts_at", "-pk")
        .first()
    )
    assert item is not None, "the benchmark data has the coach's completed requests"
    entries = {
        "requests": ContactRequest.objects.filter(pupils=pupil).count(),
        "records": ContactRecord.objects.filter(pupils=pupil).count(),
        "disclosures": Disclosure.objects.filter(pupil=pupil).count(),
    }
    facts_pupil = f"{sum(entries.values()):,}"
    today = timezone.localdate()
    last_year = school_year(school_year(today).start - dt.timedelta(days=1))
    month_end = today.replace(day=1) - dt.timedelta(days=1)
    month = {"date_from": month_end.replace(day=1).isoformat(), "date_to": month_end.isoformat()}
    year = "?period=last_year"
    listed = [
        Page("floor", "Trivial signed-in page (two-factor settings)", "head", reverse("two_factor"))
    ]
    listed[0].daily = False
    listed += [
        Page("dashboard", "Head's dashboard", "head", reverse("dashboard")),
        Page("decision_queue", "Head's decision queue", "head", reverse("decision_queue")),
        Page("my_requests", "My requests (the coach)", "coach", reverse("my_requests")),
        Page(
            "pupil",
            f"A pupil's page ({facts_pupil} entries)",
            "head",
            reverse("pupil_detail", args=[pupil.pk]),
        ),
        Page("request", "A request's page", "head", reverse("request_detail", args=[item.pk])),
        Page("request_form", "New request form", "coach", reverse("request_new")),
        Page(
            "request_form_find",
            f"New request form: Find “{first} {last}”",
            "coach",
            reverse("request_new"),
            post={FIND_INPUT: f"{first} {last}", FIND_BUTTON: "1", "place": "Sports hall"},
        ),
        Page(
            "monitoring",
            "Line manager's monitoring queue",
            "manager1",
            reverse("monitoring_queue"),
        ),
        Page(
            "report",
            f"Governors' report, {last_year.label}",
            "governor1",
            reverse("governors_report") + year,
        ),
        Page(
            "report_csv",
            "Governors' report CSV (should not happen)",
            "governor1",
            reverse("governors_report_csv", args=["should-not-happen"]) + year,
        ),
        Page(
            "audit_csv",
            f"Audit trail CSV, {month_end:%B %Y}",
            "head",
            reverse("audit_export") + "?" + "&".join(f"{k}={v}" for k, v in month.items()),
        ),
        Page(
            "admin",
            "Django admin: requests change list",
            "head",
            "/admin/contacts/contactrequest/",
            daily=False,
        ),
    ]
    facts = {
        "school_id": school.pk,
        "pupil_id": pupil.pk,
        "request_id": item.pk,
        "report_period": last_year.label,
        "coach_requests": ContactRequest.objects.filter(requester=coach).count(),
        "pupil_entries": entries,
    }
    return listed, facts


def _get(client: Client, url: str, post: dict | None = None) -> tuple[int, int]:
    if post is not None:
        response = client.post(url, post, secure=True)
    else:
        response = client.get(url, secure=True)
    if response.streaming:
        # A streaming response has streaming_content (the stubs type the test response as plain).
        size = sum(len(chunk) for chunk in response.streaming_content)  # type: ignore[attr-defined,misc]
    else:
        size = len(response.content)
    return response.status_code, size


def _is_transaction(sql: str) -> bool:
    """BEGIN, COMMIT and savepoints: transaction control rather than a query."""
    word = sql.split(None, 1)[0].upper() if sql.strip() else ""
    return word in {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"}


def _percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, round(share * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


def _table_sizes() -> dict[str, int]:
    sizes = {}
    with connection.cursor() as cursor:
        for model in (ContactRequest, AuditEvent, Pupil, Staff):
            table = model._meta.db_table
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 (a model's table)
            sizes[table] = cursor.fetchone()[0]
    return sizes


def _measured_apart(
    client: Client, page: Page, repeat: int, label: str, before_each: Callable[[], None]
) -> dict:
    """A page measured on its own, `before_each` run (untimed) before every opening."""
    before_each()
    _get(client, page.url)
    before_each()
    with CaptureQueriesContext(connection) as captured:
        _get(client, page.url)
    # Read now: the next request clears the connection's query log.
    queries = list(captured)
    times = []
    for _ in range(repeat):
        before_each()
        mark = time.perf_counter()
        status, size = _get(client, page.url)
        times.append(round((time.perf_counter() - mark) * 1000, 3))
        if status != 200:
            raise SystemExit(f"{page.label}: {page.url} answered {status}")
    return {
        "label": f"{page.label}, {label}",
        "who": page.who,
        "url": page.url,
        "daily": False,
        "queries": sum(1 for q in queries if not _is_transaction(q["sql"])),
        "statements": len(queries),
        "sql": [q["sql"][:200] for q in queries],
        "bytes": size,
        "times_ms": times,
    }


def _report_without_checks(client: Client, page: Page, repeat: int) -> dict:
    """The governors' report as it is before any full check of the chain has been kept (a new
    installation, or a restored database): every event of the year hashed again. Measured in a
    transaction that hides the stored checks and is rolled back."""
    with transaction.atomic():
        # Kept checks are append-only (safeguard migration 0006). The benchmark runs as the
        # tables' owner and lifts that for this transaction, which is rolled back.
        with connection.cursor() as cursor:
            cursor.execute(
                "ALTER TABLE safeguard_auditcheck DISABLE TRIGGER safeguard_auditcheck_append_only"
            )
        AuditCheck.objects.all().delete()
        row = _measured_apart(client, page, repeat, "no full check kept (worst case)", _nothing)
        transaction.set_rollback(True)
    return row


def _nothing() -> None:
    pass


def _a_record() -> Callable[[], None]:
    """The commonest change of a school day, as the form would make it: a chance meeting
    recorded by the busiest requester, with a pupil who is not the benchmark's focus."""
    author = _account("coach")
    first, last = FOCUS_PUPIL
    pupil = (
        Pupil.objects.filter(school_id=author.school_id)
        .current()
        .exclude(first_name=first, last_name=last)
        .order_by("pk")[:1]
        .get()
    )

    def a_record() -> None:
        records_services.record_create(
            actor=author,
            record_type="unplanned",
            pupils=[pupil],
            kind="meeting",
            purpose="work",
            occurred_at=timezone.now() - dt.timedelta(hours=1),
            details="Met by chance in the corridor; spoke about the trip.",
        )

    return a_record


def _dashboard_after_a_change(client: Client, page: Page, repeat: int) -> dict:
    """The head's dashboard as it is first opened after a member of staff records a contact
    (made untimed, by the service)."""
    return _measured_apart(client, page, repeat, "first opening after a record", _a_record())


def _dashboard_first_of_the_day(client: Client, page: Page, repeat: int) -> dict:
    """The head's dashboard as it is first opened in the morning: kept from its last opening
    yesterday, with a record made since (both untimed)."""
    a_record = _a_record()
    real = timezone.localdate

    def yesterday(value: dt.datetime | None = None, zone: Any = None) -> dt.date:
        return real(value, zone) if value is not None else real() - dt.timedelta(days=1)

    def opened_yesterday_then_a_record() -> None:
        with mock.patch.object(timezone, "localdate", yesterday):
            _get(client, page.url)
        a_record()

    return _measured_apart(
        client, page, repeat, "first opening of the day", opened_yesterday_then_a_record
    )


def _dashboard_worked_out_afresh(client: Client, page: Page, repeat: int) -> dict:
    """The head's dashboard with every kept panel worked out afresh, as after a change to staff,
    roles, relationships or settings (the cache emptied before each opening, untimed)."""
    return _measured_apart(client, page, repeat, "worked out afresh", cache.clear)


def machine() -> dict:
    facts: dict = {"nproc": os.cpu_count(), "platform": platform.platform()}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                facts["cpu"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                facts["ram_gb"] = round(int(line.split()[1]) / 1024 / 1024, 1)
                break
    except OSError:
        pass
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        facts["postgresql"] = cursor.fetchone()[0]
    facts["python"] = platform.python_version()
    facts["django"] = django.get_version()
    return facts


def measure(scale: str, repeat: int) -> dict:
    listed, facts = pages()
    clients: dict[str, Client] = {}
    for page in listed:
        if page.who not in clients:
            clients[page.who] = Client()
            sign_in(clients[page.who], _account(page.who))
    results: dict[str, dict] = {}
    for page in listed:
        client = clients[page.who]
        for _ in range(WARM_UP):
            status, size = _get(client, page.url, page.post)
            if status != 200:
                raise SystemExit(f"{page.label}: {page.url} answered {status}")
        with CaptureQueriesContext(connection) as queries:
            _get(client, page.url, page.post)
        results[page.key] = {
            "label": page.label,
            "who": page.who,
            "url": page.url,
            "daily": page.daily,
            "queries": sum(1 for q in queries if not _is_transaction(q["sql"])),
            "statements": len(queries),
            "sql": [q["sql"][:200] for q in queries],
            "bytes": size,
            "times_ms": [],
        }
    results["report_unchecked"] = _report_without_checks(
        clients["governor1"], next(p for p in listed if p.key == "report"), max(3, repeat // 4)
    )
    dashboard = next(p for p in listed if p.key == "dashboard")
    results["dashboard_after_change"] = _dashboard_after_a_change(
        clients["head"], dashboard, repeat
    )
    results["dashboard_first_of_day"] = _dashboard_first_of_the_day(
        clients["head"], dashboard, repeat
    )
    results["dashboard_afresh"] = _dashboard_worked_out_afresh(clients["head"], dashboard, repeat)
    load_before = os.getloadavg()
    began = time.perf_counter()
    for _ in range(repeat):
        for page in listed:
            client = clients[page.who]
            mark = time.perf_counter()
            status, _size = _get(client, page.url, page.post)
            elapsed = (time.perf_counter() - mark) * 1000
            if status != 200:
                raise SystemExit(f"{page.label}: {page.url} answered {status}")
            results[page.key]["times_ms"].append(round(elapsed, 3))
    seconds = time.perf_counter() - began
    load_after = os.getloadavg()
    for row in results.values():
        times = row["times_ms"]
        row["median_ms"] = round(statistics.median(times), 2)
        row["p95_ms"] = round(_percentile(times, 0.95), 2)
        row["min_ms"] = round(min(times), 2)
    floor, admin = results["floor"]["median_ms"], results["admin"]["median_ms"]
    for key, row in results.items():
        row["ratio_floor"] = round(row["median_ms"] / floor, 2)
        row["ratio_admin"] = round(row["median_ms"] / admin, 2)
        if row["daily"]:
            row["meets"] = {
                "queries": row["queries"] <= TARGET_QUERIES,
                "floor": row["ratio_floor"] <= TARGET_FLOOR_RATIO,
                "admin": row["ratio_admin"] <= 1.0,
            }
            if key == "report":
                row["meets"]["report"] = row["median_ms"] < TARGET_REPORT_MS
    return {
        "scale": scale,
        "date": timezone.localdate().isoformat(),
        "ran_at": timezone.localtime().isoformat(timespec="seconds"),
        "database": settings.DATABASES["default"]["NAME"],
        "repeat": repeat,
        "warm_up": WARM_UP,
        "measured_seconds": round(seconds, 1),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in load_after],
        "machine": machine(),
        "data": facts | {"rows": _table_sizes()},
        "targets": {
            "queries": TARGET_QUERIES,
            "floor_ratio": TARGET_FLOOR_RATIO,
            "admin_ratio": 1.0,
            "report_ms": TARGET_REPORT_MS,
        },
        "pages": results,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", required=True)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    result = measure(args.scale, args.repeat)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    for key, row in result["pages"].items():
        print(
            f"  {key:<15} median {row['median_ms']:>9.1f} ms  p95 {row['p95_ms']:>9.1f} ms  "
            f"{row['queries']:>4} queries  x{row['ratio_floor']:.1f} floor  "
            f"x{row['ratio_admin']:.2f} admin"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

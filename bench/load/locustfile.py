"""The people of the load test: locust users who sign in and work through the real pages.

Run by `bench.load.run` (and `bench.drill`), which sets:

- LOAD_ACCOUNTS: the JSON written by `bench.load.prepare` (emails, the shared password, the
  headteacher's authenticator secret);
- LOAD_ACKS: a file to append what the app acknowledged (one JSON object a line);
- LOAD_EVENTS: a file to append every request, tab-separated: start time, method, name,
  status, milliseconds, 1 if it succeeded or 0 if it failed, and for a 5xx whether the page
  was the app's own 503 page ("app") or anything else ("other");
- LOAD_USERS and LOAD_DURATION: once that many users have signed in, the measured run starts
  (a "ready" line in LOAD_EVENTS) and locust stops LOAD_DURATION seconds later;
- LOAD_HOSTS: the app servers, comma-separated (two by default, over one database). Each user
  works on one, chosen by the order users start in, so the users are spread evenly; the cookies
  are the loopback host's, not a port's, so every server is handed the same session, as behind
  a load balancer without sticky sessions. Each request's line in LOAD_EVENTS ends with the
  port of the server that answered.

The app runs with production settings behind what would be a TLS-terminating proxy: every
request says `X-Forwarded-Proto: https` (SECURE_PROXY_SSL_HEADER), so Django sees HTTPS, sets
its `__Host-` cookies Secure and checks the Referer of each POST, which is sent as a browser
would. The client's cookie jar counts the loopback hop as the secure one (LOOPBACK_IS_TLS),
as the browser's side of such a proxy is, so it sends those Secure cookies back.

Who does what:
- staff: read their requests, open one, and file new ones through the form (GET it, then POST
  it with the CSRF token: a real submission, for a current pupil, on a future date); now and
  then record a letter a pupil sent, with its scan attached (a multipart POST to their own
  server), and download the scan at once from the other server, whose bytes must be the
  ones uploaded (uploads are kept in the database: settings UPLOAD_STORAGE);
- the headteacher (one: the school has one): signs in with password and the authenticator code
  of the moment, opens the queue, opens a request and approves or rejects it with a reason;
- line managers: open the monitoring queue and mark their team's approved contact reviewed;
- governors: open the governors' report for this school year, the term or last year.

A submission is acknowledged by its redirect to the new request's page; a decision or review
by the redirect and the success message on the page it leads to; a record by its redirect to
the record's page (with the attachment's SHA-256), a download by the same bytes coming back.
Each acknowledgement is written to LOAD_ACKS for `bench.load.check` to find in the database
afterwards.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import os
import random
import re
import time
from http.cookiejar import DefaultCookiePolicy
from itertools import count, cycle
from pathlib import Path
from urllib.parse import urlsplit

import gevent
from django_otp.oath import totp
from locust import FastHttpUser, between, events, task

ACCOUNTS = json.loads(Path(os.environ["LOAD_ACCOUNTS"]).read_text())
PASSWORD = ACCOUNTS["password"]
USERS = int(os.environ.get("LOAD_USERS", "0"))
DURATION = float(os.environ.get("LOAD_DURATION", "60"))
# Open for the whole run, closed when locust exits.
_ACKS = open(os.environ["LOAD_ACKS"], "a", buffering=1)  # noqa: SIM115
_EVENTS = open(os.environ["LOAD_EVENTS"], "a", buffering=1 << 16)  # noqa: SIM115

_POOLS = {
    "staff": cycle(ACCOUNTS["staff"]),
    "managers": cycle(ACCOUNTS["managers"]),
    "governors": cycle(ACCOUNTS["governors"]),
}
_signed_in = count(1)
HOSTS = [h.rstrip("/") for h in os.environ.get("LOAD_HOSTS", "").split(",") if h]
_started_users = count()
# Secure cookies go back over the loopback connection, which stands for the proxy's HTTPS.
LOOPBACK_IS_TLS = DefaultCookiePolicy(secure_protocols=("https", "wss", "http"))

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
REQUEST_LINK = re.compile(r'href="/requests/(\d+)/"')
VERSION = re.compile(r'name="version" value="(\d+)"')
# A pupil on roll in the picker's matches (contacts/pupil_picker.py, _pupil_picker.html).
CURRENT_PUPIL = re.compile(
    r'name="pupils" value="(\d+)"[^>]*>\s*<label[^>]*>[^<]*\((?:Year \d+|on roll)\)</label>'
)
APP_503 = "Safeguard is back in a moment"  # templates/503.html
SUCCESS = re.compile(r'class="alert alert-success" role="status">([^<]*)</div>')
RECORD_PAGE = re.compile(r"^/records/(\d+)/$")

# Kinds of planned contact a member of staff asks about that need the head's approval for a
# current pupil (the rules engine's verdict), with reasons a person would give.
ASKS = [
    ("meeting", "work", "Community centre", "Mentoring session agreed with the head of year."),
    ("transport", "work", "From school to the county ground", "Lift to the district final."),
    ("social_event", "work", "Town hall", "Prize-giving evening for the county music award."),
]


@events.request.add_listener
def _record(request_type, name, response_time, response=None, exception=None, **kwargs):
    status = getattr(response, "status_code", 0) or 0
    start = kwargs.get("start_time") or time.time() - response_time / 1000
    ok = 0 if exception else 1
    page = "-"
    port = urlsplit(kwargs.get("url") or "").port or 0
    if status >= 500:
        # Whose page was it: the app's "back in a moment" page, and never a traceback?
        body = (getattr(response, "text", "") or "") if response is not None else ""
        page = "app" if APP_503 in body and "Traceback" not in body else "other"
    _EVENTS.write(
        f"{start:.3f}\t{request_type}\t{name}\t{status}\t{response_time:.1f}\t{ok}\t{page}"
        f"\t{port}\n"
    )


@events.quitting.add_listener
def _flush(environment, **kwargs):
    _EVENTS.flush()
    _ACKS.flush()


def _acknowledged(kind: str, pk: int, **details) -> None:
    _ACKS.write(json.dumps({"kind": kind, "pk": pk, "t": time.time()} | details) + "\n")


def _csrf(page: str) -> str:
    match = CSRF.search(page)
    return match.group(1) if match else ""


def _success(page: str) -> str:
    match = SUCCESS.search(page)
    return html.unescape(match.group(1)).strip() if match else ""


class Person(FastHttpUser):
    """Someone at the school: signs in through the login page, then works."""

    abstract = True
    pool = ""
    wait_time = between(1, 4)
    default_headers = {"X-Forwarded-Proto": "https"}
    # Not a failure when the database is down: a 503 is counted by status, and the drill
    # wants to see each one. A connection that hangs is: give up after 30 s like a browser.
    network_timeout = 30.0
    connection_timeout = 30.0

    def __init__(self, environment) -> None:
        # This user's server, before the client is made for it: users alternate between them.
        if HOSTS:
            self.host = HOSTS[next(_started_users) % len(HOSTS)]
        super().__init__(environment)

    @property
    def own_host(self) -> str:
        """This user's server (locust sets it from --host when there is only one)."""
        if self.host is None:
            raise RuntimeError("The load test gives every user a server: none was given.")
        return self.host.rstrip("/")

    @property
    def other_host(self) -> str:
        """Another server than this user's (the same one when there is only one)."""
        if len(HOSTS) < 2:
            return self.own_host
        return HOSTS[(HOSTS.index(self.own_host) + 1) % len(HOSTS)]

    def on_start(self) -> None:
        self.client.cookiejar.set_policy(LOOPBACK_IS_TLS)
        self.email = next(_POOLS[self.pool])
        self.signed_in = False
        try:
            self.signed_in = self.sign_in()
        finally:
            self._started()

    def _started(self) -> None:
        if next(_signed_in) == USERS:
            _EVENTS.write(f"{time.time():.3f}\tREADY\tready\t0\t0\t1\t-\n")
            _EVENTS.flush()
            runner = self.environment.runner
            gevent.spawn_later(DURATION, runner.quit)

    def referer(self, path: str) -> dict[str, str]:
        return {"Referer": f"https://{self.own_host.split('://', 1)[1]}{path}"}

    def post(self, path: str, page_path: str, data: dict, name: str, *, shown_again=False):
        """A form sent from the page at page_path, as a browser sends it. Every form here
        redirects when it is accepted: a form shown again with errors is a failure too. Finding
        a pupil shows the form again (`shown_again`), which must be a 200."""
        with self.client.post(
            path,
            data=data,
            headers=self.referer(page_path),
            allow_redirects=False,
            name=name,
            catch_response=True,
        ) as response:
            if response.status_code == (200 if shown_again else 302):
                response.success()
            elif shown_again:
                response.failure(f"{response.status_code} instead of the form")
            else:
                response.failure(f"{response.status_code} instead of a redirect")
        return response

    def sign_in(self) -> bool:
        page = self.open("/login/", "sign-in page")
        response = self.post(
            "/login/",
            "/login/",
            {
                "csrfmiddlewaretoken": _csrf(page.text or ""),
                "username": self.email,
                "password": PASSWORD,
                "next": "/",
            },
            name="sign-in: password",
        )
        return response.status_code == 302

    def open(self, path: str, name: str):
        """A page, which must be there: a redirect (to the sign-in page, say) is a failure."""
        with self.client.get(
            path, name=name, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code == 200:
                response.success()
            else:
                response.failure(f"{response.status_code} instead of the page")
        return response

    def ready(self) -> bool:
        """Signed in, signing in again first if the last attempt failed."""
        if not self.signed_in:
            self.signed_in = self.sign_in()
        return self.signed_in

    def follow(self, response, name: str) -> str:
        """The page a redirect leads to ('' if the POST did not redirect or it failed)."""
        location = response.headers.get("Location", "") if response.status_code == 302 else ""
        if not location.startswith("/"):
            return ""
        page = self.open(location, name)
        return page.text or "" if page.status_code == 200 else ""


class StaffMember(Person):
    pool = "staff"
    weight = 14

    def on_start(self) -> None:
        self.mine: list[int] = []
        super().on_start()

    @task(5)
    def my_requests(self) -> None:
        if not self.ready():
            return
        page = self.open("/requests/", "my requests")
        if page.status_code == 200:
            self.mine = [int(pk) for pk in REQUEST_LINK.findall(page.text or "")][:50]

    @task(3)
    def a_request(self) -> None:
        if not self.ready():
            return
        if self.mine:
            self.open(f"/requests/{random.choice(self.mine)}/", "request page")

    @task(2)
    def file_a_request(self) -> None:
        if not self.ready():
            return
        form = self.open("/requests/new/", "new request form")
        if form.status_code != 200:
            return
        # The pupil is found by name first: the form posts back with the matches to tick.
        found = self.post(
            "/requests/new/",
            "/requests/new/",
            {
                "csrfmiddlewaretoken": _csrf(form.text or ""),
                "find_pupil": random.choice(ACCOUNTS["pupil_names"]),
                "find_pupils": "1",
            },
            name="new request: find pupil",
            shown_again=True,
        )
        page = found.text or "" if found.status_code == 200 else ""
        pupils = CURRENT_PUPIL.findall(page)
        if not pupils:
            return
        kind, purpose, place, reasons = random.choice(ASKS)
        on = dt.date.today() + dt.timedelta(days=random.randint(3, 60))
        response = self.post(
            "/requests/new/",
            "/requests/new/",
            {
                "csrfmiddlewaretoken": _csrf(page),
                "pupils": random.choice(pupils),
                "with_whom": "pupil",
                "kind": kind,
                "purpose": purpose,
                "contact_date": on.isoformat(),
                "contact_time": random.choice(["16:00", "16:30", "17:15", "18:00"]),
                "place": place,
                "exemption": "",
                "reasons": reasons,
                "plan_outcomes": "",
                "plan_timescales": "",
                "plan_review_date": "",
                "action": "submit",
            },
            name="new request: submit",
        )
        if response.status_code != 302:
            return
        pk = int(response.headers["Location"].strip("/").split("/")[-1])
        _acknowledged("submit", pk, by=self.email)
        self.mine.insert(0, pk)
        self.follow(response, "request page")

    @task(1)
    def record_a_letter(self) -> None:
        """A letter a pupil sent, its scan uploaded here and downloaded from the other server."""
        if not self.ready():
            return
        path = "/records/new/correspondence/"
        form = self.open(path, "record form")
        if form.status_code != 200:
            return
        found = self.post(
            path,
            path,
            {
                "csrfmiddlewaretoken": _csrf(form.text or ""),
                "find_pupil": random.choice(ACCOUNTS["pupil_names"]),
                "find_pupils": "1",
            },
            name="record: find pupil",
            shown_again=True,
        )
        page = found.text or "" if found.status_code == 200 else ""
        pupils = CURRENT_PUPIL.findall(page)
        if not pupils:
            return
        scan = _scan()
        body, content_type = _multipart(
            {
                "csrfmiddlewaretoken": _csrf(page),
                "pupils": random.choice(pupils),
                "kind": "letter",
                "purpose": "work",
                "direction": "received",
                "occurred_on": (dt.date.today() - dt.timedelta(days=1)).isoformat(),
                "occurred_time": "15:30",
                "place": "Left at reception",
                "details": "A thank-you letter after the county music final.",
                "reply": "",
                "signposting": "",
            },
            {"attachment": ("letter.pdf", scan, "application/pdf")},
        )
        with self.client.post(
            path,
            data=body,
            headers=self.referer(path) | {"Content-Type": content_type},
            allow_redirects=False,
            name="record: save with attachment",
            catch_response=True,
        ) as response:
            where = RECORD_PAGE.match((response.headers or {}).get("Location", "") or "")
            if response.status_code == 302 and where:
                response.success()
            else:
                response.failure(f"{response.status_code} instead of the record's page")
                return
        pk = int(where.group(1))
        digest = hashlib.sha256(scan).hexdigest()
        _acknowledged("record", pk, by=self.email, sha256=digest, size=len(scan))
        other = self.other_host
        with self.client.get(
            f"{other}/records/{pk}/attachment/",
            name="record: download attachment (other server)",
            allow_redirects=False,
            catch_response=True,
        ) as download:
            if download.status_code != 200:
                download.failure(f"{download.status_code} instead of the attachment")
            elif hashlib.sha256(download.content or b"").hexdigest() != digest:
                download.failure("the attachment's bytes are not the ones uploaded")
            else:
                download.success()
                _acknowledged("download", pk, by=self.email, server=other)


def _scan() -> bytes:
    """A letter's scan as a PDF: a few tens of kilobytes, different every time."""
    body = os.urandom(random.randint(8, 64) * 1024)
    return b"%PDF-1.4\n%" + body + b"\n%%EOF\n"


def _multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes, str]]):
    """A multipart/form-data body as a browser sends it: (body, content type)."""
    boundary = f"----safeguard-load-{os.urandom(8).hex()}"
    parts: list[bytes] = []
    for key, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n'
            f"{value}\r\n".encode()
        )
    for key, (filename, content, content_type) in files.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"; '
            f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'.encode()
            + content
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class Headteacher(Person):
    """The school's one headteacher: decides the requests waiting in the queue."""

    pool = ""
    fixed_count = 1
    wait_time = between(1, 3)
    last_step: int | None = None  # the last code step used, shared by every session

    def on_start(self) -> None:
        self.client.cookiejar.set_policy(LOOPBACK_IS_TLS)
        self.email = ACCOUNTS["head"]["email"]
        self.tried: set[int] = set()
        self.signed_in = False
        try:
            self.signed_in = self.sign_in()
        finally:
            self._started()

    def code(self) -> str:
        """The code the authenticator shows now, waiting for a fresh one if this has been used."""
        device = ACCOUNTS["head"]
        used = max(device["last_t"], Headteacher.last_step or -1)
        while (step := int((time.time() - device["t0"]) // device["step"])) <= used:
            gevent.sleep(device["step"] - (time.time() - device["t0"]) % device["step"] + 0.05)
        Headteacher.last_step = step
        key = bytes.fromhex(device["key"])
        return f"{totp(key, step=device['step'], t0=device['t0'], digits=device['digits']):06d}"

    def sign_in(self) -> bool:
        if not super().sign_in():
            return False
        for _ in range(2):
            page = self.open("/account/two-factor/verify/?next=/", "two-factor page")
            response = self.post(
                "/account/two-factor/verify/",
                "/account/two-factor/verify/?next=/",
                {"csrfmiddlewaretoken": _csrf(page.text or ""), "token": self.code(), "next": "/"},
                name="sign-in: two-factor code",
            )
            if response.status_code == 302:
                return True
        return False

    @task(1)
    def dashboard(self) -> None:
        if not self.ready():
            return
        self.open("/dashboard/", "head: dashboard")

    @task(6)
    def decide(self) -> None:
        if not self.ready():
            return
        queue = self.open("/decisions/", "head: decision queue")
        if queue.status_code != 200:
            return
        waiting = [int(pk) for pk in REQUEST_LINK.findall(queue.text or "")]
        waiting = [pk for pk in waiting if pk not in self.tried][:10]
        if not waiting:
            return
        pk = random.choice(waiting)
        self.tried.add(pk)
        detail = self.open(f"/requests/{pk}/", "request page (head)")
        page = detail.text or ""
        version = VERSION.search(page)
        if detail.status_code != 200 or "/decide/" not in page or not version:
            return
        decision = "approve" if random.random() < 0.8 else "reject"
        response = self.post(
            f"/requests/{pk}/decide/",
            f"/requests/{pk}/",
            {
                "csrfmiddlewaretoken": _csrf(page),
                "version": version.group(1),
                "decision": decision,
                "conditions": "Another adult present; tell the head of year afterwards."
                if decision == "approve"
                else "",
                "reason": "" if decision == "approve" else "Not needed: the club can arrange it.",
            },
            name="head: decide",
        )
        message = self.follow(response, "request page (head)")
        said = _success(message)
        if said.endswith(("was approved.", "was rejected.")):
            _acknowledged("decide", pk, decision=decision, message=said)


class LineManager(Person):
    pool = "managers"
    weight = 3

    @task
    def review(self) -> None:
        if not self.ready():
            return
        queue = self.open("/monitoring/", "line manager: monitoring queue")
        if queue.status_code != 200:
            return
        to_review = [int(pk) for pk in _to_review(queue.text or "")][:10]
        if not to_review:
            return
        pk = random.choice(to_review)
        detail = self.open(f"/requests/{pk}/", "request page (line manager)")
        page = detail.text or ""
        if detail.status_code != 200 or "/review/" not in page:
            return
        response = self.post(
            f"/requests/{pk}/review/",
            f"/requests/{pk}/",
            {"csrfmiddlewaretoken": _csrf(page), "note": "Talked it through at supervision."},
            name="line manager: mark reviewed",
        )
        said = _success(self.follow(response, "request page (line manager)"))
        if said.endswith("was marked reviewed."):
            _acknowledged("review", pk, by=self.email)


def _to_review(page: str) -> list[str]:
    """The monitoring queue's rows still marked "To review"."""
    return [
        link.group(1)
        for row in page.split("<tr>")
        if "To review" in row and (link := REQUEST_LINK.search(row))
    ]


class Governor(Person):
    pool = "governors"
    weight = 1
    wait_time = between(3, 8)

    @task(3)
    def this_year(self) -> None:
        if not self.ready():
            return
        self.open("/reports/?period=year", "governors: report, this school year")

    @task(1)
    def this_term(self) -> None:
        if not self.ready():
            return
        self.open("/reports/", "governors: report, this term")

    @task(1)
    def last_year(self) -> None:
        if not self.ready():
            return
        self.open("/reports/?period=last_year", "governors: report, last school year")

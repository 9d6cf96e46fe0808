"""Benchmark data: one large school's ten years, written in bulk (`manage.py seed_bench`).

The rows are written with bulk inserts, not through the services, so that a million audit
events take minutes rather than hours: the big tables as plain rows (`safeguard.core.bulk`), the
small ones with `bulk_create`. They still say what the services would have said:

- a request moves only along `TRANSITIONS`; it carries the rules engine's assessment on the
  contact date, and only a request that needs approval was ever submitted; it is decided by
  whoever the workflow names on that day (the headteacher; the chair of governors for the
  head's own requests and referred ones; the deputy while the head is recorded absent), never
  by the person asking; decided, completed and reviewed requests carry who, when and why;
- a record after the fact carries the engine's assessment of what happened (planned=False);
- each change has the audit event its service writes (same action, states and reason), dated
  when it happened, and the events form one valid hash chain continuing from the chain's
  current head (`safeguard.audit.audit_append_many`, under the chain lock);
- the notices people would have been sent exist, the older ones read.

Every random choice comes from one `random.Random(seed)`, and the ten years end at the start of
the day it runs: the same seed, scale and day give the same school. Rows are inserted in the
order they were made, so ids grow with time as they do in a real database.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import math
import operator
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC
from typing import TYPE_CHECKING, Any, cast
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction
from django.db.models import Q, Value
from django.db.models.functions import Concat
from django.urls import reverse
from django.utils import timezone

from contacts.concerns.models import BoundaryConcern, LadoOutcome, LadoReferral, LadoType, Outcome
from contacts.notifications.models import Notification
from contacts.people.models import (
    ParentCarer,
    Pupil,
    Relationship,
    Staff,
    StaffRelative,
    StaffRole,
    StaffType,
)
from contacts.planned.assessments import snapshot
from contacts.planned.models import (
    ContactRequest,
    HeadAbsence,
    NoteKind,
    RequestNote,
    Route,
    Status,
)
from contacts.planned.services import plan_needed
from contacts.records.models import (
    DIRECTED,
    RECORD_KINDS,
    Addendum,
    ContactRecord,
    Direction,
    Disclosure,
    DisclosureType,
    RecordType,
)
from policies.engine import Assessment, assess, combine
from policies.facts import contact_facts, engine_settings_for
from safeguard.audit.models import AuditEvent
from safeguard.audit.services import APPENDED, audit_append_many, audit_record
from safeguard.audit.vocabulary import LadoKind, lado_action, request_action
from safeguard.core.bulk import insert_rows
from safeguard.core.models import School
from safeguard.core.roles import HEAD_ASSIGNED, Role, acting_role

BENCH_SCHOOL = "Benchmark Academy"
BENCH_DOMAIN = "benchmark.example"
# Every benchmark account signs in with this password (senior roles also need a second factor).
BENCH_PASSWORD = "benchmark-academy-2026"
DEFAULT_SEED = 2026

# The large school, as the benchmark issue sets it out; "small" is a hundredth of it.
LARGE = {
    "staff": 300,
    "current_pupils": 2_000,
    "former_pupils": 15_000,
    "requests": 100_000,
    "records": 200_000,
}
SCALES = {"small": 0.01, "large": 1.0}
# Below these a school would lack a person for every role, or a pupil for every year group.
MINIMUM = {"staff": 30, "current_pupils": 20, "former_pupils": 40, "requests": 40, "records": 60}
YEARS = 10

DAY = 86_400
HOUR = 3_600
MINUTE = 60


@dataclass(frozen=True)
class Scale:
    name: str
    fraction: float
    staff: int
    current_pupils: int
    former_pupils: int
    requests: int
    # Everything recorded after the fact: contact records, disclosures, concerns, LADO entries.
    records: int
    years: int = YEARS


def scale_for(name: str = "small", *, fraction: float | None = None) -> Scale:
    """The named scale, or `fraction` of the large one (for tests and trials)."""
    if fraction is None:
        if name not in SCALES:
            raise ValueError(f"scale must be one of {', '.join(SCALES)}, not {name!r}")
        fraction = SCALES[name]
    else:
        if not 0 < fraction <= 1:
            raise ValueError("fraction must be more than 0 and at most 1")
        name = f"{fraction:g} of large"
    sizes = {key: max(MINIMUM[key], round(size * fraction)) for key, size in LARGE.items()}
    return Scale(name=name, fraction=fraction, **sizes)


class BenchSchoolExists(Exception):
    """The benchmark school is already in the database (use replace=True)."""


@dataclass
class BenchResult:
    school: School
    scale: Scale
    seed: int
    counts: dict[str, int]
    phases: list[tuple[str, float]]
    seconds: float
    people: list[tuple[str, Staff, str]]
    focus_pupil: Pupil
    focus_pupil_entries: int
    busy_staff: Staff
    busy_staff_requests: int
    replaced: dict[str, int] | None = None


# --- Vocabulary for the made-up people and texts --------------------------------------------

FIRST_NAMES = [
    "Olivia", "Noah", "Amelia", "Muhammad", "Isla", "George", "Ava", "Leo", "Freya", "Oscar",
    "Lily", "Arthur", "Mia", "Harry", "Sophia", "Jack", "Grace", "Alfie", "Ella", "Theo",
    "Poppy", "Archie", "Zara", "Finley", "Evie", "Yusuf", "Maya", "Reuben", "Aisha", "Kai",
    "Hannah", "Ibrahim", "Chloe", "Dylan", "Niamh", "Ethan", "Priya", "Samuel", "Ruby", "Tomasz",
    "Erin", "Callum", "Fatima", "Joseph", "Imogen", "Rhys", "Layla", "Owen", "Sienna", "Adam",
]  # fmt: skip
LAST_NAMES = [
    "Smith", "Jones", "Khan", "Williams", "Brown", "Patel", "Taylor", "Davies", "Evans",
    "Wilson", "Thomas", "Roberts", "Ali", "Walker", "Wright", "Hall", "Green", "Clarke",
    "Lewis", "Nowak", "Okoro", "Hughes", "Edwards", "Singh", "Morris", "Baker", "Turner",
    "Hussain", "Campbell", "Kaur", "Murphy", "Cooper", "Ward", "Mensah", "Price", "Bennett",
    "Kowalski", "Shah", "Harris", "Fraser", "Begum", "Reid", "Doyle", "Osei", "Marsh", "Kelly",
]  # fmt: skip
PARENT_RELATIONSHIPS = [
    "Mother",
    "Father",
    "Mother",
    "Father",
    "Carer",
    "Grandmother",
    "Stepfather",
]

TEACHING_TITLES = [
    "Teacher of English", "Teacher of Mathematics", "Teacher of Science", "Teacher of History",
    "Teacher of Geography", "Teacher of French", "Teacher of Art", "Teacher of Music",
    "Teacher of Computing", "Teacher of Religious Education", "Teacher of Design Technology",
    "Teacher of Drama", "Teacher of PE", "Teacher of Spanish", "Teacher of Biology",
]  # fmt: skip
SUPPORT_TITLES = [
    "Teaching assistant", "Learning mentor", "Attendance officer", "Librarian", "Site manager",
    "Exams officer", "Pastoral support worker", "Reprographics technician", "Science technician",
    "Receptionist", "Finance officer", "Cover supervisor", "Careers adviser",
]  # fmt: skip
MANAGER_TITLES = [
    "Head of English", "Head of Mathematics", "Head of Science", "Head of Humanities",
    "Head of Languages", "Head of Creative Arts", "Head of PE", "Head of Year 7",
    "Head of Year 8", "Head of Year 9", "Head of Year 10", "Head of Year 11", "Head of Sixth Form",
    "SENCo", "Business manager", "Head of Computing",
]  # fmt: skip

PLACES = {
    "community": ["Town library", "Community centre", "Leisure centre", "Youth club hall"],
    "sport": ["County football ground", "Leisure centre pitches", "Athletics track", "Pool"],
    "arts": ["St Mary's church hall", "Town theatre", "Arts centre", "Cathedral"],
    "home": ["The family's home", "The family's home, with a colleague"],
    "travel": ["From school to the fixture", "From the station to school", "To the county final"],
    "public": ["Supermarket", "High street", "Bus station", "Park", "Café in town", "Cinema"],
}
REQUEST_REASONS = {
    "mentoring": [
        "Weekly mentoring agreed with the family, outside school hours.",
        "Revision support before the exams; the parents have agreed.",
        "Reading support that could not be fitted into the school day.",
    ],
    "sport": [
        "I coach the weekend club team the pupils have joined.",
        "County trials: I am one of the coaches on the day.",
        "Swimming gala run by the club I volunteer for.",
    ],
    "club": [
        "I am a leader in the Scout group the pupil belongs to.",
        "We both volunteer at the food bank on Saturdays.",
        "Community litter-pick organised by the town council.",
    ],
    "event": [
        "Accompanying pupils at the young musicians' concert.",
        "The pupils are performing in the town pantomime; I am the school's contact.",
        "Prize evening at the rotary club, attended with parents.",
    ],
    "lift": [
        "The minibus is full; I would drive the pupil to the fixture.",
        "The pupil has no way to reach the county final; the parents asked.",
    ],
    "home": [
        "Home visit to discuss attendance support with the parents.",
        "Meeting the family at home about the support plan, with the SENCo.",
    ],
    "photos": [
        "Photographs for the school newsletter on a school camera.",
        "Filming the drama production for the families, on school equipment.",
    ],
    "former": [
        "A former pupil asked for help with a university application.",
        "A former pupil asked me to be a referee for a job application.",
        "Careers advice for a former pupil starting teacher training.",
    ],
    "gift": [
        "I would like to give the team small trophies I paid for myself.",
        "Leaving present for a pupil moving abroad.",
    ],
    "details": ["The parents asked for my number to arrange lifts to the county squad."],
    "family": ["The family invited me to the pupil's celebration; the parents are organising it."],
}
CONDITIONS = [
    "A second adult attends; the parents collect the pupil.",
    "Meet in a public place only, and record the outcome the same week.",
    "Parents' written consent first, copied to the office.",
    "Use the school's phone for any arrangements.",
]
REJECT_REASONS = [
    "This should go through the school's own club instead.",
    "Book a taxi through the office rather than a staff car.",
    "Not appropriate outside school; the pastoral team will support the pupil.",
    "The plan of involvement is too open-ended; please discuss with me first.",
]
ASK_QUESTIONS = [
    "Who else will be there?",
    "Have the parents agreed in writing?",
    "Could this happen at school instead?",
    "What is the plan if the parents are late to collect?",
]
ANSWERS = [
    "A colleague from the PE department will come too.",
    "Yes, the consent form is with the office.",
    "It cannot: the event is at the weekend.",
    "I would wait with the pupil inside the club house, with another adult.",
]
WITHDRAW_REASONS = ["", "", "The event was cancelled.", "The family made other arrangements."]
CANCEL_REASONS = [
    "The fixture was called off.",
    "The pupil is ill.",
    "The family no longer needs the visit.",
    "Weather warning: the trip is off.",
]
OUTCOMES = [
    "It went as planned; the parents collected the pupil.",
    "The session took place as agreed; nothing to report.",
    "Went well; a colleague was present throughout.",
    "Completed as planned; the pupil was dropped at home with the parent waiting.",
]
OUTCOME_CONCERNS = [
    "The pupil asked for my personal number; I declined and told them to use the school.",
    "The parent did not arrive for an hour; I waited with another adult.",
]
MONITORING_NOTES = [
    "",
    "",
    "Spoke to the colleague; all as agreed.",
    "Checked the outcome with the parents.",
]
RECORD_DETAILS = {
    RecordType.UNPLANNED: [
        "Met the pupil and a parent by chance; we chatted briefly.",
        "The pupil came over to say hello; their parent was with them.",
        "Saw the pupil at the match; we exchanged a few words with their family present.",
    ],
    RecordType.ONGOING: [
        "The pupil keeps messaging me outside the agreed contact; I have not replied.",
        "A former pupil has contacted me several times this week.",
    ],
    RecordType.CORRESPONDENCE: [
        "A letter thanking me for my help in Year 11.",
        "An email from a former pupil with news of their degree.",
        "A card from the pupil at the end of term.",
    ],
    RecordType.GIFT: [
        "A box of chocolates at the end of term.",
        "A thank-you card and a small plant.",
        "A mug from the class, bought by the parents.",
    ],
    RecordType.MESSAGE: [
        "Called the pupil about the coursework deadline on the school phone.",
        "The pupil texted about the trip; I replied from the school account.",
        "Emailed the pupil about the revision session.",
    ],
    RecordType.LIFT: [
        "The parent did not arrive and it was getting dark; I drove the pupil home with a "
        "colleague's knowledge.",
        "The minibus broke down; I drove two pupils back to school, a colleague with me.",
    ],
    RecordType.PERSONAL_DETAILS: [
        "The pupil's parent has my number for the county squad arrangements.",
    ],
    RecordType.PHOTOGRAPHY: [
        "Photographs of the sports day on the school camera for the newsletter.",
        "Filmed the concert on the school tablet; stored on the school drive.",
    ],
    RecordType.FAMILY: [
        "Home visit about attendance; both parents present.",
        "Phone call with the parent about the support plan.",
        "Met the carer at the community centre about transport.",
    ],
    RecordType.RELATIONSHIP: [
        "I have begun a relationship with a former pupil, now an adult; declaring it.",
    ],
}
REPLIES = ["Thanked them and wished them well.", "Replied from the school account."]
DISCLOSURE_ACCOUNTS = {
    DisclosureType.CHILD_PROTECTION: [
        "Said they are frightened to go home at weekends.",
        "Said an older relative has been hitting them.",
        "Said they are often left alone overnight with nothing to eat.",
        "Said someone online has been asking them to send pictures.",
    ],
    DisclosureType.PERSONAL: [
        "Said their parents are separating and they are finding it hard.",
        "Said they have been feeling very low and not sleeping.",
        "Said a friend is being bullied on the bus.",
    ],
}
CIRCUMSTANCES = [
    "At break, in the library; no one else nearby.",
    "After the lesson, in the classroom with the door open.",
    "On the way back from the field.",
]
ACTIONS_TAKEN = [
    "Listened, did not promise to keep it secret, told the DSL in person.",
    "Wrote it down straight away and went to the DSL's office.",
]
CONCERN_DESCRIPTIONS = [
    "Seen giving a pupil a lift home alone after the club, twice this month.",
    "Follows pupils on social media from a personal account.",
    "Spends lunchtimes alone with one pupil in a closed classroom.",
    "Has given a pupil gifts beyond the usual end-of-term card.",
    "Self-referral: a former pupil contacted me on social media.",
]
CONCERN_RESPONSES = [
    "Spoke to the member of staff and reminded them of the policy.",
    "Advised to block the account and record any further contact.",
    "Discussed with HR; a note is on the staff file.",
    "Consulted the LADO; no further action at this stage.",
]
LADO_ADVICE = [
    "Speak to the member of staff, remind them of the policy and monitor.",
    "Below the harm threshold: deal with it under the school's own procedures.",
    "Refer formally; the LADO will convene a meeting.",
]
LADO_OFFICERS = ["Duty LADO", "Sam Duty, LADO", "The LADO team", "Alex Morgan, LADO"]
ABSENCE_NOTES = ["Headteachers' conference", "Annual leave", "Off sick", "Trust meeting"]


@dataclass(frozen=True)
class _Ask:
    """One kind of planned contact staff ask about."""

    weight: int
    kind: str
    purpose: str
    pupils: str  # "current", "former" or "family" (the family of a current pupil)
    places: str
    reasons: str
    exemption: str = ""
    parent_organised: bool = False
    school_channel: bool = False
    group: float = 0.0  # the chance of more than one pupil


ASKS = [
    _Ask(30, "meeting", "work", "current", "community", "mentoring"),
    _Ask(10, "activity", "personal", "current", "sport", "sport", "sport", group=0.5),
    _Ask(5, "activity", "personal", "current", "community", "club", "scouts", group=0.3),
    _Ask(3, "activity", "personal", "current", "community", "club", "volunteering"),
    _Ask(8, "social_event", "work", "current", "arts", "event", group=0.4),
    _Ask(7, "transport", "work", "current", "travel", "lift", group=0.3),
    _Ask(7, "meeting", "work", "family", "home", "home"),
    _Ask(5, "photography", "work", "current", "arts", "photos", school_channel=True, group=0.6),
    _Ask(7, "meeting", "personal", "former", "community", "former"),
    _Ask(2, "gift", "work", "current", "community", "gift", group=0.5),
    _Ask(1, "personal_details", "personal", "current", "community", "details"),
    _Ask(
        2,
        "social_event",
        "personal",
        "current",
        "community",
        "family",
        "family_invitation",
        parent_organised=True,
    ),
]
# What the busy sports coach asks for.
COACH_ASKS = [ASKS[1], ASKS[5], ASKS[4]]
FALLBACK_ASK = ASKS[0]

# Record type: (weight, chance the pupil has left, chance of a work purpose).
RECORD_MIX = {
    RecordType.MESSAGE: (20, 0.15, 0.85),
    RecordType.CORRESPONDENCE: (16, 0.5, 0.6),
    RecordType.GIFT: (16, 0.05, 0.5),
    RecordType.UNPLANNED: (18, 0.1, 0.4),
    RecordType.ONGOING: (6, 0.5, 0.3),
    RecordType.FAMILY: (10, 0.0, 0.7),
    RecordType.PHOTOGRAPHY: (6, 0.0, 0.95),
    RecordType.LIFT: (4, 0.0, 0.9),
    RecordType.PERSONAL_DETAILS: (3, 0.1, 0.6),
    RecordType.RELATIONSHIP: (1, 0.95, 0.0),
}
FAMILY_KINDS = ("meeting", "phone_call", "email", "letter", "social_event")

# How the requests stand today: (target, share of all requests, at least). The rest completed.
REQUEST_MIX = [
    ("submitted", 0.0009, 3),
    ("more_information", 0.006, 2),
    ("draft", 0.05, 3),
    ("approved_future", 0.004, 2),
    ("approved_overdue", 0.012, 1),
    ("rejected", 0.11, 2),
    ("withdrawn", 0.04, 2),
    ("cancelled", 0.035, 2),
]
DECIDED_TARGETS = {"approved_future", "approved_overdue", "rejected", "cancelled", "completed"}
# Of everything after the fact: (share, at least); the rest are contact records.
DISCLOSURE_SHARE = (0.055, 2)
CONCERN_SHARE = (0.004, 3)
LADO_SHARE = (0.001, 2)
# The pupil "with hundreds of entries" at large scale; fewer, still many, at smaller ones.
FOCUS_PUPIL = ("Riley", "Featherstone")
FOCUS_ENTRIES = {"requests": 200, "records": 300, "disclosures": 30}
BUSY_SHARE = 0.025  # of all requests, asked by the sports coach
# How often somebody who may read pupils' files opens one, per contact record.
BROWSE_RATE = 1.3

HEAD_CAPACITY = "headteacher"
CHAIR_CAPACITY = "chair of governors"
DEPUTY_CAPACITY = "deputy headteacher, acting for the absent headteacher"


def _label(model: type[models.Model]) -> str:
    return model._meta.label_lower


def _aware(ts: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, UTC)


def _is_school_day(day: dt.date) -> bool:
    """Roughly an English school calendar: weekdays out of the usual holidays."""
    if day.weekday() >= 5:
        return False
    m, d = day.month, day.day
    holiday = (
        m == 8
        or (m == 7 and d > 21)
        or (m == 9 and d < 3)
        or (m == 12 and d > 19)
        or (m == 1 and d < 4)
        or (m == 4 and d < 15)
        or (m == 10 and d > 23)
        or (m == 2 and 13 <= d <= 19)
        or (m == 5 and d > 25)
    )
    return not holiday


def _school_year(day: dt.date) -> int:
    return day.year if day.month >= 9 else day.year - 1


@contextlib.contextmanager
def _given_times(*model_classes: type[models.Model]) -> Iterator[None]:
    """Let bulk_create keep the dates the rows carry: `auto_now` and `auto_now_add` would stamp
    them with the present. Restored on the way out, whatever happens."""
    # Only date and time fields have these (getattr below); the stubs see a bare Field.
    changed: list[tuple[Any, bool, bool]] = [
        (f, f.auto_now, f.auto_now_add)  # type: ignore[attr-defined]
        for model in model_classes
        for f in model._meta.concrete_fields
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    try:
        for f, _now, _add in changed:
            f.auto_now = f.auto_now_add = False
        yield
    finally:
        for f, now, add in changed:
            f.auto_now, f.auto_now_add = now, add


# The models written through the ORM whose rows carry their own creation dates.
DATED_MODELS = (School, StaffRelative, HeadAbsence, Disclosure, BoundaryConcern, LadoReferral)


ADDENDUM_FIELDS = ("author_id", "record_id", "disclosure_id", "text", "created_at")


class _Row:
    """One row of a table as plain attributes (see _Table)."""

    pk: int | None = None

    if TYPE_CHECKING:
        # Its columns are set from the model's fields, so they are only known at run time.
        def __getattr__(self, name: str) -> Any: ...
        def __setattr__(self, name: str, value: Any) -> None: ...


class _Table:
    """Plain rows for one model's table: every column but the id, starting from the fields'
    defaults. Cheaper than model instances by far when there are a hundred thousand."""

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        self.names = tuple(f.attname for f in fields)
        self.lists = [f.attname for f in fields if isinstance(f, models.JSONField)]
        self.defaults = {f.attname: f.get_default() for f in fields if f.attname not in self.lists}
        self.values = operator.attrgetter(*self.names)

    def row(self, **values) -> _Row:
        row = _Row()
        row.__dict__.update(self.defaults)
        for name in self.lists:
            setattr(row, name, [])
        row.__dict__.update(values)
        return row


class _Event:
    """An audit event as `audit_append_many` reads it, without a model instance."""

    __slots__ = APPENDED

    def __init__(
        self,
        school_id,
        actor_id,
        actor_role,
        action,
        object_type,
        object_id,
        object_ref,
        from_state,
        to_state,
        reason,
        created_at,
    ) -> None:
        self.school_id, self.actor_id, self.actor_role = school_id, actor_id, actor_role
        self.action, self.object_type, self.object_id = action, object_type, object_id
        self.object_ref, self.from_state, self.to_state = object_ref, from_state, to_state
        self.reason, self.created_at = reason, created_at


@dataclass
class _Person:
    staff: Staff
    key: str
    roles: frozenset[str]
    joined: int  # from when they act in the app
    left: int | None
    weight: float  # how often they ask for or record contact
    manager: _Person | None = None
    acting: str = ""

    @property
    def pk(self) -> int:
        return self.staff.pk

    def present(self, lo: int, hi: int) -> bool:
        return self.joined <= lo and (self.left is None or self.left >= hi)


@dataclass
class _Pending:
    """A row not yet inserted, and what follows once it has an id."""

    row: Any  # a model instance, or a _Row standing for one
    pupils: list[Pupil] = field(default_factory=list)
    events: list[tuple] = field(default_factory=list)  # (ts, actor, action, from, to, reason)
    notes: list[tuple] = field(default_factory=list)  # (ts, author, kind, text)
    notices: list[tuple] = field(default_factory=list)  # (ts, recipients, message with {ref})
    addenda: list[tuple] = field(default_factory=list)  # (ts, author, text)
    made: int = 0  # when it was written down


class _Plan:
    """When each step of one request happens (epoch seconds; None when it does not)."""

    __slots__ = (
        "target",
        "create",
        "edit",
        "submit",
        "ask",
        "resubmit",
        "refer",
        "decide",
        "starts",
        "end",
        "review",
        "who",
        "focus",
    )
    target: str
    # Epoch seconds, or None: which steps are set follows from the target, not the types.
    create: Any
    edit: Any
    submit: Any
    ask: Any
    resubmit: Any
    refer: Any
    decide: Any
    starts: Any
    end: Any
    review: Any
    who: str | None
    focus: bool

    def __init__(self, target: str) -> None:
        for name in self.__slots__:
            setattr(self, name, None)
        self.target = target

    def shift(self, by: int) -> None:
        for name in self.__slots__[1:11]:
            value = getattr(self, name)
            if value is not None:
                setattr(self, name, value + by)

    def last(self) -> int:
        return max(getattr(self, n) for n in self.__slots__[1:11] if getattr(self, n) is not None)


class _Builder:
    def __init__(
        self,
        scale: Scale,
        *,
        seed: int,
        now: dt.datetime,
        batch_size: int,
        name: str = BENCH_SCHOOL,
        domain: str = BENCH_DOMAIN,
    ) -> None:
        self.scale = scale
        self.name, self.domain = name, domain
        self.rng = random.Random(seed)
        # Whether and when notices were read: a stream of its own, so that how they are read
        # does not change anything else.
        self.reads = random.Random(f"{seed}-reads")
        self.batch_size = batch_size
        self.tz = ZoneInfo(settings.TIME_ZONE)
        self.now = int(now.timestamp())
        self.today = now.astimezone(self.tz).date()
        first_day = self.today - dt.timedelta(days=round(scale.years * 365.25))
        self.start = self._at(first_day, 8 * HOUR)
        self.events: list[tuple] = []
        self.notices: list[tuple] = []
        self.seq = itertools.count()
        self._conditions_given = False
        self.counts: Counter[str] = Counter()
        self.facts_cache: dict = {}
        self.absent: set[dt.date] = set()
        self.entries_of_focus = 0
        self.paths = {
            name: reverse(name, args=[987654321]).replace("987654321", "{}")
            for name in ("request_detail", "record_detail", "disclosure_detail", "concern_detail")
        }

    # --- time -----------------------------------------------------------------------------

    def _at(self, day: dt.date, seconds: int = 0) -> int:
        midnight = dt.datetime.combine(day, dt.time(), tzinfo=self.tz)
        return int(midnight.timestamp()) + seconds

    def _day(self, ts: int) -> dt.date:
        return dt.datetime.fromtimestamp(ts, self.tz).date()

    def moment(self, lo: int, hi: int) -> int:
        """A time between lo and hi, most likely during a school day."""
        rng = self.rng
        if hi - lo < 2 * DAY:
            return rng.randint(lo, max(lo, hi))
        for _ in range(40):
            day = self._day(rng.randint(lo, hi))
            weekend = day.weekday() >= 5
            chance = 1.0 if _is_school_day(day) else (0.05 if weekend else 0.15)
            if rng.random() >= chance:
                continue
            ts = self._at(day, rng.randint(int(7.5 * HOUR), int(18.5 * HOUR)))
            if lo <= ts <= hi:
                return ts
        return rng.randint(lo, hi)

    def delay(self, median: float, sigma: float, lo: float, hi: float) -> int:
        value = self.rng.lognormvariate(math.log(median), sigma)
        return int(min(max(value, lo), hi))

    def reminder_due(self, submitted: int) -> int:
        """When the daily reminder run first finds the request waiting longer than the school's
        response time (two school days by default): 07:00 on that day."""
        day, weekdays = self._day(submitted), 0
        while weekdays <= 2:
            day += dt.timedelta(days=1)
            if day.weekday() < 5:
                weekdays += 1
        return self._at(day, 7 * HOUR)

    # --- output collected for the end ----------------------------------------------------

    def event(self, ts, actor, action, otype, oid, ref, from_state="", to_state="", reason=""):
        self.events.append(
            (ts, next(self.seq), actor, action, otype, oid, ref, from_state, to_state, reason)
        )

    def notice(self, ts: int, recipients: Iterable[_Person], message: str, url: str) -> None:
        rng = self.reads
        for person in {p.pk: p for p in recipients}.values():
            if person.left is not None and person.left < ts:
                continue  # notices go to active accounts only
            age = self.now - ts
            chance = 0.99 if age > 21 * DAY else (0.9 if age > 2 * DAY else 0.5)
            read = None
            if rng.random() < chance:
                read = min(self.now, ts + rng.randint(5 * MINUTE, 3 * DAY))
            self.notices.append((ts, next(self.seq), person.pk, message, url, read))

    def view(self, ts: int, person: _Person, otype: str, oid: int, ref: str) -> None:
        if ts <= self.now:
            self.event(ts, person.pk, "view", otype, str(oid), ref)

    def insert(self, model: type[models.Model], rows: list) -> list:
        """A few thousand rows at most: model instances, through bulk_create."""
        model.objects.bulk_create(rows, batch_size=self.batch_size)  # type: ignore[attr-defined]
        self.counts[_label(model)] += len(rows)
        return rows

    def fast(self, model: type[models.Model], fields: tuple[str, ...], rows: Iterable) -> None:
        """Many rows: plain values, inserted without model instances."""
        rows = list(rows)
        insert_rows(model, fields, rows, batch_size=self.batch_size)
        self.counts[_label(model)] += len(rows)

    def insert_plain(self, table: _Table, pending: list[_Pending]) -> None:
        """Plain rows that need their ids back (to link pupils and write events)."""
        values = [table.values(item.row) for item in pending]
        ids = insert_rows(
            table.model, table.names, values, batch_size=self.batch_size, returning=True
        )
        for item, pk in zip(pending, ids, strict=True):
            item.row.pk = pk
        self.counts[_label(table.model)] += len(ids)

    # --- the school and its people ---------------------------------------------------------

    def school(self) -> School:
        school = School(
            name=self.name,
            address="1 Benchmark Road, Anytown AN1 9BM",
            lado_phone="01632 960 999",
            created_at=_aware(self.start),
        )
        school.save(force_insert=True)
        self.school_row = school
        self.settings = engine_settings_for(school)
        self.event(
            self.start, None, "school.create", _label(School), str(school.pk), school.audit_ref
        )
        return school

    def _name(self) -> tuple[str, str]:
        return self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)

    def people(self) -> None:
        rng, n = self.rng, self.scale.staff
        posts: list[tuple] = []  # key, title, type, roles, manager key, weight, senior

        def post(key, title, kind, roles, manager, weight, senior=True):
            posts.append((key, title, kind, frozenset(roles), manager, weight, senior))

        post(
            "head", "Headteacher", StaffType.TEACHER, [Role.HEADTEACHER, Role.LINE_MANAGER], None, 0
        )
        post(
            "deputy",
            "Deputy headteacher",
            StaffType.TEACHER,
            [Role.DEPUTY_HEAD, Role.LINE_MANAGER],
            "head",
            0.5,
        )
        assistants = [f"assistant{i}" for i in range(1, max(1, round(n / 100)) + 1)]
        for key in assistants:
            post(
                key,
                "Assistant headteacher",
                StaffType.TEACHER,
                [Role.ASSISTANT_HEAD, Role.LINE_MANAGER],
                "head",
                0.5,
            )
        post("dsl", "Designated safeguarding lead", StaffType.TEACHER, [Role.DSL], "deputy", 0.6)
        if n >= 100:
            post("dsl2", "Deputy safeguarding lead", StaffType.SUPPORT, [Role.DSL], "dsl", 0.6)
        post(
            "admin", "School business manager", StaffType.SUPPORT, [Role.SCHOOL_ADMIN], "head", 0.1
        )
        post("chair", "Chair of governors", StaffType.GOVERNOR, [Role.CHAIR_OF_GOVERNORS], None, 0)
        for i in range(1, max(2, round(n * 0.03)) + 1):
            post(f"governor{i}", "Governor", StaffType.GOVERNOR, [Role.GOVERNOR], None, 0)
        leads = ["deputy", *assistants]
        managers = [f"manager{i}" for i in range(1, max(2, round(n * 0.08)) + 1)]
        for i, key in enumerate(managers):
            title = MANAGER_TITLES[i % len(MANAGER_TITLES)]
            post(key, title, StaffType.TEACHER, [Role.LINE_MANAGER], leads[i % len(leads)], 0.9)
        post("coach", "Teacher of PE and football coach", StaffType.TEACHER, [], "manager1", 1.0)
        for i in range(1, n - len(posts) + 1):
            r = rng.random()
            if r < 0.58:
                kind, title, weight = StaffType.TEACHER, rng.choice(TEACHING_TITLES), 1.0
            elif r < 0.9:
                kind, title, weight = StaffType.SUPPORT, rng.choice(SUPPORT_TITLES), 0.8
            elif r < 0.95:
                kind, title, weight = StaffType.SUPPLY, "Supply teacher", 0.3
            else:
                kind, title, weight = StaffType.VOLUNTEER, "Volunteer", 0.3
            post(f"staff{i:03d}", title, kind, [], rng.choice(managers), weight, False)

        password = make_password(BENCH_PASSWORD)  # hashed once: every account shares it
        school, span = self.school_row, self.now - self.start
        self.persons: dict[str, _Person] = {}
        depth: dict[str, int] = {}
        for key, title, kind, roles, manager, weight, senior in posts:
            depth[key] = 0 if manager is None else depth[manager] + 1
            first, last = self._name()
            joined_app, left = self.start, None
            joined = self.start - rng.randint(30, 12 * 365) * DAY
            if not senior and rng.random() < 0.25:
                joined_app = self.start + rng.randint(30 * DAY, span - 60 * DAY)
                joined = joined_app
            if not senior and rng.random() < 0.12:
                earliest = joined_app + 300 * DAY
                if earliest < self.now - 60 * DAY:
                    left = rng.randint(earliest, self.now - 60 * DAY)
            staff = Staff(
                school=school,
                email=f"{key}@{self.domain}",
                first_name=first,
                last_name=last,
                job_title=title,
                staff_type=kind,
                is_active=True,
                date_joined=_aware(joined),
                password=password,
            )
            # The cache safeguard.core.roles.roles_of keeps on the person (not a field).
            staff._roles_cache = roles | {Role.STAFF}  # type: ignore[attr-defined]
            person = _Person(staff, key, roles, joined_app, left, weight)
            person.acting = acting_role(staff)
            staff.is_active = left is None
            person.manager = self.persons.get(manager) if manager else None
            staff.line_manager = person.manager.staff if person.manager else None
            self.persons[key] = person
        for level in sorted(set(depth.values())):
            self.insert(Staff, [p.staff for k, p in self.persons.items() if depth[k] == level])
        self.insert(
            StaffRole,
            [
                StaffRole(staff=p.staff, role=r)
                for p in self.persons.values()
                for r in sorted(p.roles)
            ],
        )
        self.role_of = {p.pk: p.acting for p in self.persons.values()}
        for p in self.persons.values():
            p.staff._roles_cache = p.roles | {Role.STAFF}  # type: ignore[attr-defined]
        get = self.persons.__getitem__
        self.head, self.deputy, self.chair = get("head"), get("deputy"), get("chair")
        self.admin, self.coach = get("admin"), get("coach")
        self.dsls = [p for p in self.persons.values() if Role.DSL in p.roles]
        self.readers = [self.head, self.deputy, *[get(k) for k in assistants], *self.dsls]
        self.seniors = [self.head, self.deputy, *[get(k) for k in assistants]]
        self.askers = [p for p in self.persons.values() if p.weight > 0]
        self.ask_weights = list(itertools.accumulate(p.weight for p in self.askers))

        staff_type = _label(Staff)
        for i, p in enumerate(self.persons.values()):
            roles = ", ".join(sorted(p.roles)) or "staff"
            ref = p.staff.audit_ref
            if p is self.head:
                self.event(
                    self.start,
                    None,
                    "staff.create",
                    staff_type,
                    str(p.pk),
                    ref,
                    reason="roles: headteacher, line_manager",
                )
            elif p.joined <= self.start:
                self.event(
                    self.start + 10 * MINUTE + i,
                    self.head.pk,
                    "staff.import",
                    staff_type,
                    str(p.pk),
                    ref,
                    reason=f"roles: {roles}",
                )
            else:
                by = self.head if p.roles & HEAD_ASSIGNED else self.admin
                when = max(self.start + DAY, p.joined - rng.randint(1, 14) * DAY)
                self.event(
                    when,
                    by.pk,
                    "staff.create",
                    staff_type,
                    str(p.pk),
                    ref,
                    reason=f"roles: {roles}",
                )
            if p.left is not None:
                when = min(self.now, p.left + rng.randint(1, 10) * DAY)
                self.event(
                    when,
                    self.admin.pk,
                    "staff.deactivate",
                    staff_type,
                    str(p.pk),
                    ref,
                    from_state="active",
                    to_state="inactive",
                )

    def someone(self, lo: int, hi: int) -> _Person:
        """A member of staff who asks or records, working at the school from lo to hi."""
        for _ in range(60):
            person = self.rng.choices(self.askers, cum_weights=self.ask_weights)[0]
            if person.present(lo, hi):
                return person
        return self.coach

    def pupils(self) -> None:
        rng, today = self.rng, self.today
        year0 = _school_year(today)
        start_day = self._day(self.start)
        rows: list[tuple[int, Pupil]] = []

        def born_in(cohort: int) -> dt.date:
            first = dt.date(cohort - 12, 9, 1)
            return first + dt.timedelta(days=rng.randint(0, 364))

        def add(pupil: Pupil) -> None:
            if pupil.admission_date <= start_day or (
                pupil.leaving_date is not None and pupil.leaving_date <= start_day
            ):
                created = self.start + HOUR  # loaded with the school's records
            else:
                lo = self._at(pupil.admission_date) - 20 * DAY
                created = self.moment(max(self.start + DAY, lo), self._at(pupil.admission_date))
                created = min(created, self.now)
            rows.append((created, pupil))

        # On roll: Years 7 to 11, and a smaller sixth form.
        groups, weights = list(range(7, 14)), [1, 1, 1, 1, 1, 0.62, 0.58]
        for _ in range(self.scale.current_pupils):
            year_group = rng.choices(groups, weights)[0]
            cohort = year0 - (year_group - 7)
            admitted = dt.date(cohort, 9, rng.randint(2, 8))
            if year_group >= 12 and rng.random() < 0.25:
                admitted = dt.date(cohort + 5, 9, rng.randint(2, 8))
            elif rng.random() < 0.1:
                late = rng.randint(10, max(10, (today - dt.date(cohort, 9, 10)).days - 7))
                admitted = dt.date(cohort, 9, 10) + dt.timedelta(days=late)
            admitted = min(admitted, today)
            first, last = self._name()
            add(
                Pupil(
                    school=self.school_row,
                    first_name=first,
                    last_name=last,
                    date_of_birth=born_in(cohort),
                    admission_date=admitted,
                    year_group=year_group,
                )
            )
        # The pupil with hundreds of entries: in Year 13, here since Year 7.
        cohort = year0 - 6
        self.focus = Pupil(
            school=self.school_row,
            first_name=FOCUS_PUPIL[0],
            last_name=FOCUS_PUPIL[1],
            date_of_birth=dt.date(cohort - 12, 11, 14),
            admission_date=min(dt.date(cohort, 9, 4), today),
            year_group=13,
            notes="Known to the pastoral team; a support plan is in place.",
        )
        add(self.focus)
        # Former pupils, gone over the last thirty years.
        years = list(range(year0 - 29, year0 + 1))
        for _ in range(self.scale.former_pupils):
            left_year = rng.choices(years, [1 + 0.03 * i for i in range(len(years))])[0]
            r = rng.random()
            if r < 0.85:
                year_group = 11 if r < 0.42 else 13
                cohort = left_year - (year_group - 6)
                left = dt.date(left_year, 7, rng.randint(15, 23))
                vulnerable = rng.random() < 0.04
            else:
                year_group = rng.randint(7, 12)
                cohort = left_year - 1 - (year_group - 7)
                left = dt.date(left_year - 1, 9, 15) + dt.timedelta(days=rng.randint(0, 290))
                vulnerable = False
            admitted = dt.date(cohort, 9, rng.randint(2, 8))
            if year_group == 13 and rng.random() < 0.25:
                admitted = dt.date(cohort + 5, 9, rng.randint(2, 8))
            left = min(left, today - dt.timedelta(days=1))
            if left < admitted:
                left = admitted + dt.timedelta(days=30)
            first, last = self._name()
            add(
                Pupil(
                    school=self.school_row,
                    first_name=first,
                    last_name=last,
                    date_of_birth=born_in(cohort),
                    admission_date=admitted,
                    leaving_date=left,
                    year_group=year_group,
                    vulnerable_adult=vulnerable,
                )
            )
        rows.sort(key=lambda row: row[0])
        self.all_pupils = [p for _, p in rows]
        self.insert(Pupil, self.all_pupils)
        self.pupil_created = {p.pk: ts for ts, p in rows}

        pupil_type = _label(Pupil)
        for i, (ts, p) in enumerate(rows):
            action = "pupil.import" if ts == self.start + HOUR else "pupil.create"
            when = ts + i // 50 if action == "pupil.import" else ts
            self.event(when, self.admin.pk, action, pupil_type, str(p.pk), p.audit_ref)
            if p.leaving_date and p.leaving_date > start_day:
                when = self.moment(self._at(p.leaving_date), self._at(p.leaving_date) + 15 * DAY)
                self.event(
                    min(when, self.now),
                    self.admin.pk,
                    "pupil.update",
                    pupil_type,
                    str(p.pk),
                    p.audit_ref,
                    reason="changed: leaving_date",
                )

        # Who was on roll, and who had recently left, in each school year.
        self.on_roll: dict[int, list[Pupil]] = defaultdict(list)
        self.leavers: dict[int, list[Pupil]] = defaultdict(list)
        for year in range(_school_year(start_day) - 1, year0 + 1):
            begin, end = dt.date(year, 9, 1), dt.date(year + 1, 8, 31)
            for p in self.all_pupils:
                if p.admission_date <= end and (p.leaving_date is None or p.leaving_date > begin):
                    self.on_roll[year].append(p)
                if p.leaving_date and begin - dt.timedelta(days=7 * 365) <= p.leaving_date <= end:
                    self.leavers[year].append(p)
        self.parents_and_relatives(rows)

    def parents_and_relatives(self, rows: list[tuple[int, Pupil]]) -> None:
        rng = self.rng
        parents: list[tuple[ParentCarer, Pupil, int]] = []
        for ts, pupil in rows:
            if pupil.leaving_date is not None:
                continue
            for _ in range(rng.choices([0, 1, 2], [5, 55, 40])[0]):
                first = rng.choice(FIRST_NAMES)
                last = pupil.last_name if rng.random() < 0.8 else rng.choice(LAST_NAMES)
                n = len(parents) + 1
                parent = ParentCarer(
                    school=self.school_row,
                    first_name=first,
                    last_name=last,
                    relationship=rng.choice(PARENT_RELATIONSHIPS),
                    email=f"{first}.{last}{n}@parents.example".lower(),
                    phone=f"07700 9{n % 100000:05d}",
                )
                parents.append((parent, pupil, ts + MINUTE))
        self.insert(ParentCarer, [p for p, _, _ in parents])
        through = ParentCarer.children.through
        self.insert(through, [through(parentcarer=p, pupil=c) for p, c, _ in parents])
        for parent, _child, ts in parents:
            self.event(
                ts,
                self.admin.pk,
                "parent.create",
                _label(ParentCarer),
                str(parent.pk),
                parent.audit_ref,
            )

        # A few members of staff have a child or relative at the school (exempt contact).
        current = [p for p in self.all_pupils if p.leaving_date is None and p is not self.focus]
        ordinary = [p for p in self.askers if not p.roles and p.left is None]
        relatives = []
        for person in rng.sample(
            ordinary, min(len(ordinary), max(2, round(self.scale.staff * 0.02)))
        ):
            pupil = rng.choice(current)
            kind = rng.choices(
                [Relationship.CHILD, Relationship.NIECE_NEPHEW, Relationship.GRANDCHILD], [6, 3, 1]
            )[0]
            lo = min(max(person.joined, self.pupil_created[pupil.pk]) + DAY, self.now - HOUR)
            when = self.moment(lo, min(self.now, lo + 60 * DAY))
            # Declared by the member of staff, acknowledged by the head within a few days (a
            # declaration counts for nothing until then).
            acknowledged = min(self.now, when + rng.randint(HOUR, 5 * DAY))
            row = StaffRelative(
                staff=person.staff,
                pupil=pupil,
                relationship=kind,
                created_at=_aware(when),
                declared_by=person.staff,
                acknowledged_by=self.head.staff,
                acknowledged_at=_aware(acknowledged),
            )
            relatives.append((row, person, when, acknowledged))
        self.insert(StaffRelative, [r for r, _, _, _ in relatives])
        for row, person, when, acknowledged in relatives:
            reason = f"{row.get_relationship_display()} of {person.staff.audit_ref}"
            label, ref = _label(StaffRelative), row.audit_ref
            self.event(when, person.pk, "relative.add", label, str(row.pk), ref, reason=reason)
            self.notice(
                when,
                [self.head],
                "A member of staff declared a relative at the school: please acknowledge it",
                reverse("relatives_awaiting"),
            )
            self.event(
                acknowledged,
                self.head.pk,
                "relative.acknowledge",
                label,
                str(row.pk),
                ref,
                reason=reason,
            )
            self.notice(
                acknowledged,
                [person],
                "Your declaration of a relative at the school was acknowledged",
                reverse("staff_detail", args=[person.pk]),
            )

    def absences(self) -> None:
        """The headteacher's recorded absences, a few a year: the deputy decides meanwhile."""
        rng, rows = self.rng, []
        day = self._day(self.start) + dt.timedelta(days=30)
        while True:
            day += dt.timedelta(days=rng.randint(90, 220))
            while not _is_school_day(day):
                day += dt.timedelta(days=1)
            ends = day + dt.timedelta(days=rng.randint(1, 9))
            if ends >= self.today:
                break
            made = self.moment(self._at(day) - 10 * DAY, self._at(day) - DAY)
            rows.append(
                HeadAbsence(
                    school=self.school_row,
                    starts_on=day,
                    ends_on=ends,
                    note=rng.choice(ABSENCE_NOTES),
                    created_by=self.head.staff,
                    created_at=_aware(made),
                )
            )
            self.absent.update(day + dt.timedelta(days=i) for i in range((ends - day).days + 1))
            day = ends
        self.insert(HeadAbsence, rows)
        for row in rows:
            self.event(
                int(row.created_at.timestamp()),
                self.head.pk,
                "absence.record",
                _label(HeadAbsence),
                str(row.pk),
                row.audit_ref,
                reason=f"{row.starts_on:%Y-%m-%d} to {row.ends_on:%Y-%m-%d}",
            )

    # --- the rules engine ------------------------------------------------------------------

    def assessment(self, person: _Person, pupils: list[Pupil], **answers) -> Assessment:
        parts = []
        for pupil in pupils:
            facts = contact_facts(requester=person.staff, pupil=pupil, **answers)
            found = self.facts_cache.get(facts)
            if found is None:
                found = self.facts_cache[facts] = assess(facts, self.settings)
            parts.append(found)
        return parts[0] if len(parts) == 1 else combine(parts)

    def pupil_on(self, day: dt.date, status: str) -> Pupil | None:
        """A pupil on roll that day ("current"), or one who had left by then ("former")."""
        pool = (self.on_roll if status == "current" else self.leavers).get(_school_year(day))
        if not pool:
            return None
        for _ in range(30):
            p = self.rng.choice(pool)
            on_roll = p.admission_date <= day and (p.leaving_date is None or p.leaving_date > day)
            if status == "current" and on_roll and p is not self.focus:
                return p
            if status == "former" and p.leaving_date is not None and p.leaving_date <= day:
                return p
        return None

    def pupils_for(self, status: str, day: dt.date, group: float, focus: bool) -> list[Pupil]:
        chosen = [self.focus] if focus else []
        count = 1 + (self.rng.choice([1, 1, 2, 3]) if self.rng.random() < group else 0)
        for _ in range(count - len(chosen)):
            pupil = self.pupil_on(day, status)
            if pupil is not None and pupil not in chosen:
                chosen.append(pupil)
        return chosen

    # --- planned-contact requests ----------------------------------------------------------

    def request_plans(self) -> list[_Plan]:
        rng, n = self.rng, self.scale.requests
        targets: list[str] = []
        for target, share, least in REQUEST_MIX:
            targets += [target] * max(least, round(n * share))
        targets += ["completed"] * (n - len(targets))
        rng.shuffle(targets)
        # On top of the coach's own share: at least half as much again as anyone's.
        busy = round(n * max(BUSY_SHARE, 1.5 / len(self.askers)))
        focus = min(self._focus_count("requests"), n // 4)
        plans = []
        for i, target in enumerate(targets):
            plan = self.plan(target, focus=i < focus)
            if i >= focus and i < focus + busy:
                plan.who = "coach"
            elif rng.random() < 0.01:
                plan.who = "head"
            plans.append(plan)
        plans.sort(key=lambda p: p.create)
        return plans

    def _focus_count(self, kind: str) -> int:
        return max(3, round(FOCUS_ENTRIES[kind] * self.scale.fraction**0.35))

    def plan(self, target: str, *, focus: bool) -> _Plan:
        """The steps of one request, worked out relative to its creation, then placed in time:
        the waiting ones near today, the settled ones anywhere in the ten years."""
        rng, p = self.rng, _Plan(target)
        p.focus, p.create = focus, 0
        if rng.random() < 0.08:
            p.edit = rng.randint(10 * MINUTE, 2 * DAY)
        begun = p.edit or 0
        lead = self.delay(9 * DAY, 0.7, DAY, 60 * DAY)  # from asking to the contact itself
        if target == "draft":
            p.starts = begun + lead
            if rng.random() < 0.25:
                return self._placed(p, self.now - 30 * DAY, self.now - HOUR - begun, anchor=0)
            return self._placed(p, self.start + 2 * DAY, self.now - 30 * DAY, anchor=0)
        quick = rng.random() < 0.75
        p.submit = begun + (rng.randint(20, 15 * MINUTE) if quick else rng.randint(HOUR, 4 * DAY))
        p.starts = p.submit + lead
        wait = self.delay(5 * HOUR, 1.1, 10 * MINUTE, 10 * DAY)
        recent = (self.now - 21 * DAY, self.now - 15 * MINUTE)
        if target == "submitted":
            if rng.random() < 0.12:
                p.refer = p.submit + rng.randint(30 * MINUTE, 6 * HOUR)
            span = (self.now - 4 * DAY, self.now - 7 * HOUR)
            return self._placed(p, *span, anchor=p.submit, future=True)
        last_submit = p.submit
        if target == "more_information" or rng.random() < 0.07:
            p.ask = p.submit + wait
            if target == "more_information":
                if rng.random() < 0.75:
                    return self._placed(p, *recent, anchor=p.ask, future=True)
                return self._placed(p, self.start + 10 * DAY, self.now - 21 * DAY, anchor=p.ask)
            if target == "withdrawn" and rng.random() < 0.4:
                p.end = p.ask + rng.randint(HOUR, 10 * DAY)
                return self._placed(p, self.start + 2 * DAY, self.now - p.end, anchor=0)
            p.resubmit = last_submit = p.ask + rng.randint(2 * HOUR, 5 * DAY)
            p.starts = max(p.starts, last_submit + DAY)
            wait = self.delay(4 * HOUR, 1.0, 10 * MINUTE, 8 * DAY)
        if target == "withdrawn":
            longest = max(11 * MINUTE, min(wait, p.starts - last_submit - HOUR))
            p.end = last_submit + rng.randint(10 * MINUTE, longest)
            return self._placed(p, self.start + 2 * DAY, self.now - p.end, anchor=0)
        if rng.random() < 0.03:
            p.refer = last_submit + rng.randint(30 * MINUTE, max(31 * MINUTE, wait // 2))
            p.decide = p.refer + self.delay(20 * HOUR, 0.8, 2 * HOUR, 6 * DAY)
        else:
            p.decide = last_submit + wait
        p.starts = max(p.starts, p.decide + 2 * HOUR)
        if target == "approved_future":
            self._placed(p, *recent, anchor=p.decide, future=True)
            self._review(p, p.decide)
            return p
        if target == "cancelled":
            p.end = p.decide + int((p.starts - p.decide) * rng.uniform(0.1, 0.9))
        elif target == "completed":
            p.end = p.starts + self.delay(20 * HOUR, 1.0, HOUR, 14 * DAY)
        self._placed(p, self.start + 2 * DAY, self.now - p.last() - DAY, anchor=0)
        if target in ("approved_overdue", "completed"):
            self._review(p, p.end or p.decide)
        return p

    def _placed(self, p: _Plan, lo: int, hi: int, *, anchor: int, future=False) -> _Plan:
        """Move the plan so its anchor step falls between lo and hi (the focus pupil's only once
        they are on roll), with the contact after school or at a weekend, and still to come
        when `future`."""
        if p.focus:
            lo = max(lo, self._at(self.focus.admission_date) + (anchor - p.create))
        p.shift(self.moment(lo, max(lo, hi)) - anchor)
        starts = self._evening(max(p.starts, self.now + DAY) if future else p.starts)
        if p.target == "completed":
            p.end += starts - p.starts
        p.starts = starts
        return p

    def _evening(self, ts: int) -> int:
        """The first after-school (or weekend morning) start from ts."""
        day = self._day(ts)
        hour = 10 if day.weekday() >= 5 else self.rng.choice([16, 17, 18])
        at = self._at(day, hour * HOUR + self.rng.choice([0, 15, 30]) * MINUTE)
        return at if at > ts else at + DAY

    def _review(self, p: _Plan, after: int) -> None:
        when = after + self.rng.randint(DAY, 25 * DAY)
        chance = 0.97 if self.now - when > 60 * DAY else 0.4
        if when < self.now and self.rng.random() < chance:
            p.review = when

    def requests(self) -> None:
        plans = self.request_plans()
        table = self.requests_table = _Table(ContactRequest)
        for start in range(0, len(plans), self.batch_size):
            pending = [self.request(plan) for plan in plans[start : start + self.batch_size]]
            self.insert_plain(table, pending)
            self.fast(
                ContactRequest.pupils.through,
                ("contactrequest_id", "pupil_id"),
                [(item.row.pk, pupil.pk) for item in pending for pupil in item.pupils],
            )
            notes = []
            otype = _label(ContactRequest)
            for item in pending:
                row = item.row
                # The model's property, read on a _Row (the stubs type it as a method).
                ref = ContactRequest.reference.fget(row)  # type: ignore[attr-defined]
                url = self.paths["request_detail"].format(row.pk)
                for ts, actor, action, from_state, to_state, reason in item.events:
                    actor_pk = actor.pk if actor else None
                    self.event(
                        ts,
                        actor_pk,
                        request_action(action),
                        otype,
                        str(row.pk),
                        ref,
                        from_state,
                        to_state,
                        reason,
                    )
                for ts, recipients, message in item.notices:
                    self.notice(ts, recipients, message.format(ref=ref), url)
                for ts, author, kind, text in item.notes:
                    notes.append((row.pk, author.pk, kind, text, _aware(ts)))
            self.fast(RequestNote, ("request_id", "author_id", "kind", "text", "created_at"), notes)

    def deciders(self, route: str, ts: int, requester: _Person | None) -> list[_Person]:
        """Who may decide now (workflow.people_for_route): the chair; or the head, with the
        deputy while the head is recorded absent."""
        if route == Route.CHAIR_OF_GOVERNORS:
            people = [self.chair]
        elif self._day(ts) in self.absent:
            people = [self.head, self.deputy]
        else:
            people = [self.head]
        return [p for p in people if p is not requester]

    def request(self, plan: _Plan) -> _Pending:
        rng = self.rng
        if plan.who == "coach":
            person = self.coach
        elif plan.who == "head":
            person = self.head
        else:
            person = self.someone(plan.create, plan.last())
        day = self._day(plan.starts)
        ask, pupils, answers, assessment = self._choose_ask(plan, person, day)
        if plan.focus:
            self.entries_of_focus += 1
        referred = plan.refer is not None and person is not self.head
        row = self.requests_table.row(
            school_id=self.school_row.pk,
            requester_id=person.pk,
            kind=ask.kind,
            purpose=ask.purpose,
            exemption=ask.exemption,
            with_family_only=answers["with_family_only"],
            parent_organised=ask.parent_organised,
            school_channel=ask.school_channel,
            starts_at=_aware(plan.starts),
            place=rng.choice(PLACES[ask.places]),
            reasons=rng.choice(REQUEST_REASONS[ask.reasons]),
            created_at=_aware(plan.create),
            route=Route.CHAIR_OF_GOVERNORS if person is self.head else Route.HEADTEACHER,
        )
        snapshot(row, assessment)
        if plan_needed(assessment, pupils, day):
            row.plan_outcomes = "Support with the next step in education or work."
            row.plan_timescales = rng.choice(["One meeting.", "Three sessions over a term."])
            row.plan_support = "A meeting with the line manager after each session."
            row.plan_review_date = day + dt.timedelta(days=rng.randint(30, 180))
        item = _Pending(row, pupils)
        ev, notes, notices = item.events, item.notes, item.notices
        steps = [plan.create]  # every time the row was saved

        ev.append((plan.create, person, "create", "", Status.DRAFT, ""))
        if plan.edit is not None:
            steps.append(plan.edit)
            ev.append((plan.edit, person, "edit", Status.DRAFT, Status.DRAFT, ""))
        status: str = Status.DRAFT
        if plan.submit is not None:
            status = Status.SUBMITTED
            steps.append(plan.submit)
            row.submitted_at = _aware(plan.submit)
            ev.append((plan.submit, person, "submit", Status.DRAFT, status, ""))
            self._waiting(item, person, row.route, plan.submit, "is waiting for your decision")
        if plan.ask is not None:
            decider = self.deciders(row.route, plan.ask, person)[0]
            question = rng.choice(ASK_QUESTIONS)
            steps.append(plan.ask)
            ev.append((plan.ask, decider, "ask", status, Status.MORE_INFORMATION, question))
            status = Status.MORE_INFORMATION
            notes.append((plan.ask, decider, NoteKind.QUESTION, question))
            notices.append((plan.ask, [person], "{ref} was sent back for more information"))
            self._looks(pupils, decider, plan.submit, plan.ask)
        if plan.resubmit is not None:
            answer = rng.choice(ANSWERS)
            steps.append(plan.resubmit)
            ev.append((plan.resubmit, person, "submit", status, Status.SUBMITTED, answer))
            status = Status.SUBMITTED
            notes.append((plan.resubmit, person, NoteKind.ANSWER, answer))
            row.submitted_at = _aware(plan.resubmit)
            self._waiting(item, person, row.route, plan.resubmit, "is waiting for your decision")
        if plan.refer is not None and referred:
            steps.append(plan.refer)
            reason = "The pupil is a governor's child: the chair should decide."
            ev.append((plan.refer, self.head, "refer", status, status, reason))
            row.referred_to_chair, row.route = True, Route.CHAIR_OF_GOVERNORS
            self._waiting(item, person, row.route, plan.refer, "was referred to you for a decision")
        # The daily reminder run, once per wait; submitting again starts a new wait.
        answered = plan.decide or plan.end
        waits = [(plan.submit, plan.ask or answered), (plan.resubmit, answered)]
        for since, until in waits:
            if since is None:
                continue
            route = row.route if plan.refer is None or since >= plan.refer else Route.HEADTEACHER
            row.reminded_at = self._remind(item, person, route, since, until)
        if row.reminded_at is not None:
            steps.append(int(row.reminded_at.timestamp()))
        if plan.decide is not None:
            status = self._decide(item, plan, person, status)
            steps.append(plan.decide)
        if plan.end is not None:
            steps.append(plan.end)
            status = self._finish(item, plan, person, status)
        manager = person.manager
        if plan.review is not None and manager is not None and not row.restricted:
            note = rng.choice(MONITORING_NOTES)
            row.reviewed_by_id, row.reviewed_at = manager.pk, _aware(plan.review)
            steps.append(plan.review)
            if note:
                notes.append((plan.review, manager, NoteKind.MONITORING, note))
            ev.append((plan.review, manager, "review", "", "", note))
        if status != Status.DRAFT and rng.random() < 0.04:
            when = min(
                self.now, (plan.ask or plan.decide or plan.submit) + rng.randint(HOUR, 3 * DAY)
            )
            author = manager if manager is not None and rng.random() < 0.5 else person
            kind = NoteKind.MONITORING if author is manager else NoteKind.NOTE
            notes.append((when, author, kind, "Spoke to the family as agreed."))
            ev.append((when, author, "note", "", "", f"{kind.label} added"))
        # Every workflow step bumps the version; a reminder or a review does not.
        row.version = 1 + sum(1 for e in ev if e[2] not in ("create", "remind", "review", "note"))
        row.status, row.updated_at = status, _aware(max(steps))
        return item

    def _choose_ask(self, plan: _Plan, person: _Person, day: dt.date):
        """What is asked for, and about whom: something the policies say needs approval,
        unless the request never left its draft."""
        rng = self.rng
        asks = COACH_ASKS if person is self.coach else ASKS
        weights = [a.weight for a in asks]
        for attempt in range(40):
            ask = rng.choices(asks, weights)[0] if attempt < 10 else FALLBACK_ASK
            status = "current" if ask.pupils == "family" else ask.pupils
            pupils = self.pupils_for(status, day, ask.group, plan.focus)
            if not pupils:
                continue
            answers = {
                "with_family_only": ask.pupils == "family",
                "kind": ask.kind,
                "purpose": ask.purpose,
                "exemption": ask.exemption or None,
                "parent_organised": ask.parent_organised,
                "school_channel": ask.school_channel,
                "vulnerable_context": False,
            }
            assessment = self.assessment(person, pupils, on=day, planned=True, **answers)
            if plan.target == "draft" or assessment.needs_approval:
                return ask, pupils, answers, assessment
        raise RuntimeError(f"no pupil on roll on {day} for a request that needs approval")

    def _remind(
        self, item: _Pending, person: _Person, route: str, since: int, until
    ) -> dt.datetime | None:
        """The reminder run's event and notices, if this wait outlasted the response time."""
        due = self.reminder_due(since)
        if due > self.now or (until is not None and due >= until):
            return None
        item.events.append((due, None, "remind", "", "", "waiting longer than the response time"))
        item.notices.append(
            (
                due,
                self.deciders(route, due, person),
                "Reminder: {ref} is still waiting for your decision",
            )
        )
        return _aware(due)

    def _decide(self, item: _Pending, plan: _Plan, person: _Person, status: str) -> str:
        rng, row = self.rng, item.row
        deciders = self.deciders(row.route, plan.decide, person)
        decider = deciders[0]
        if self.deputy in deciders and rng.random() < 0.8:
            decider = self.deputy  # the head is away: the deputy usually decides
        if row.route == Route.CHAIR_OF_GOVERNORS:
            capacity = CHAIR_CAPACITY
        else:
            capacity = DEPUTY_CAPACITY if decider is self.deputy else HEAD_CAPACITY
        row.decided_by_id, row.decided_as = decider.pk, capacity
        row.decided_at = _aware(plan.decide)
        if plan.target == "rejected":
            row.decision_reason = rng.choice(REJECT_REASONS)
            item.events.append(
                (plan.decide, decider, "reject", status, Status.REJECTED, row.decision_reason)
            )
            item.notices.append((plan.decide, [person], "{ref} was rejected"))
            self._looks(item.pupils, decider, plan.resubmit or plan.submit, plan.decide)
            return Status.REJECTED
        # About a third carry conditions, and always the first, so even a small school has one.
        with_conditions = rng.random() < 0.3 or not self._conditions_given
        row.conditions = rng.choice(CONDITIONS) if with_conditions else ""
        self._conditions_given = self._conditions_given or with_conditions
        item.events.append(
            (plan.decide, decider, "approve", status, Status.APPROVED, row.conditions)
        )
        item.notices.append((plan.decide, [person], "{ref} was approved"))
        if person.manager is not None:
            item.notices.append(
                (plan.decide, [person.manager], "{ref} was approved: please monitor it")
            )
        self._looks(item.pupils, decider, plan.resubmit or plan.submit, plan.decide)
        return Status.APPROVED

    def _finish(self, item: _Pending, plan: _Plan, person: _Person, status: str) -> str:
        """Withdrawn before a decision; or, once approved, cancelled or completed."""
        rng, row, ev = self.rng, item.row, item.events
        if plan.target == "withdrawn":
            ev.append(
                (
                    plan.end,
                    person,
                    "withdraw",
                    status,
                    Status.WITHDRAWN,
                    rng.choice(WITHDRAW_REASONS),
                )
            )
            return Status.WITHDRAWN
        if plan.target == "cancelled":
            by = person if rng.random() < 0.75 else self.head
            ev.append(
                (plan.end, by, "cancel", status, Status.CANCELLED, rng.choice(CANCEL_REASONS))
            )
            return Status.CANCELLED
        row.outcome = rng.choice(OUTCOMES)
        row.completed_at = _aware(plan.end)
        ev.append((plan.end, person, "complete", status, Status.COMPLETED, ""))
        if rng.random() < 0.03:
            row.outcome_concerns = rng.choice(OUTCOME_CONCERNS)
            item.notices.append(
                (
                    plan.end,
                    self.deciders(row.route, plan.end, person),
                    "{ref}: a concern was recorded with the outcome",
                )
            )
        return Status.COMPLETED

    def _waiting(self, item: _Pending, person: _Person, route: str, ts: int, words: str) -> None:
        item.notices.append((ts, self.deciders(route, ts, person), "{ref} " + words))

    def _looks(self, pupils: list[Pupil], decider: _Person, lo: int | None, hi: int) -> None:
        """Before deciding, the head (or deputy) often opens the pupils' files; the chair of
        governors may not."""
        if decider is self.chair or lo is None:
            return
        for pupil in pupils:
            if self.rng.random() < 0.35:
                when = lo + int((hi - lo) * self.rng.random())
                self.view(when, decider, _label(Pupil), pupil.pk, pupil.audit_ref)

    # --- records after the fact ------------------------------------------------------------

    def split_records(self) -> dict[str, int]:
        total = self.scale.records
        sizes = {}
        for name, (share, least) in (
            ("disclosures", DISCLOSURE_SHARE),
            ("concerns", CONCERN_SHARE),
            ("lado", LADO_SHARE),
        ):
            sizes[name] = max(least, round(total * share))
        sizes["records"] = total - sum(sizes.values())
        return sizes

    def _times(self, count: int, focus: int, lo: int) -> list[tuple[int, bool]]:
        focus_lo = max(lo, self._at(self.focus.admission_date))
        times = [(self.moment(focus_lo, self.now - HOUR), True) for _ in range(focus)]
        times += [(self.moment(lo, self.now - HOUR), False) for _ in range(count - focus)]
        return sorted(times)

    def records(self, count: int) -> None:
        kinds = list(RECORD_MIX)
        weights = [RECORD_MIX[k][0] for k in kinds]
        focus = min(self._focus_count("records"), count // 4)
        self.records_by_author: dict[int, list[tuple[int, int]]] = defaultdict(list)
        stamps = self._times(count, focus, self.start + 2 * DAY)
        table = self.records_table = _Table(ContactRecord)
        for start in range(0, len(stamps), self.batch_size):
            pending = []
            for occurred, is_focus in stamps[start : start + self.batch_size]:
                pending.append(self.record(occurred, is_focus, kinds, weights))
            self.insert_plain(table, pending)
            self.fast(
                ContactRecord.pupils.through,
                ("contactrecord_id", "pupil_id"),
                [(item.row.pk, pupil.pk) for item in pending for pupil in item.pupils],
            )
            addenda = []
            otype = _label(ContactRecord)
            for item in pending:
                row = item.row
                ref = ContactRecord.reference.fget(row)  # type: ignore[attr-defined]
                url = self.paths["record_detail"].format(row.pk)
                self.records_by_author[row.author_id].append((item.made, row.pk))
                for ts, actor, action, _from, _to, reason in item.events:
                    self.event(ts, actor.pk, action, otype, str(row.pk), ref, reason=reason)
                for ts, recipients, message in item.notices:
                    self.notice(ts, recipients, message.format(ref=ref), url)
                for ts, author, text in item.addenda:
                    addenda.append((author.pk, row.pk, None, text, _aware(ts)))
            self.fast(Addendum, ADDENDUM_FIELDS, addenda)

    def record(self, occurred: int, focus: bool, kinds, weights) -> _Pending:
        rng = self.rng
        made = min(self.now, occurred + self.delay(3 * HOUR, 1.2, 10 * MINUTE, 3 * DAY))
        person = self.someone(occurred, made)
        day = self._day(occurred)
        for attempt in range(40):
            record_type = rng.choices(kinds, weights)[0] if attempt < 10 else RecordType.UNPLANNED
            _weight, former, work = RECORD_MIX[record_type]
            family = record_type == RecordType.FAMILY
            kind = rng.choice(FAMILY_KINDS if family else RECORD_KINDS[record_type])
            status = "former" if rng.random() < former and not focus else "current"
            group = 0.1 if record_type in (RecordType.UNPLANNED, RecordType.PHOTOGRAPHY) else 0
            pupils = self.pupils_for(status, day, group, focus)
            if not pupils:
                continue
            purpose = "work" if rng.random() < work else "personal"
            channel = kind in ("email", "phone_call", "text_message", "photography") and (
                purpose == "work" and rng.random() < 0.75
            )
            assessment = self.assessment(
                person,
                pupils,
                with_family_only=family,
                on=day,
                kind=kind,
                purpose=purpose,
                planned=False,
                school_channel=channel,
            )
            # Breaches of the policies are recorded too, but rarely.
            if not assessment.is_prohibited or rng.random() < 0.25 or attempt >= 8:
                break
        else:
            raise RuntimeError(f"no pupil on roll on {day} for a record")
        if focus:
            self.entries_of_focus += 1
        direction = ""
        if record_type in DIRECTED:
            direction = Direction.RECEIVED if rng.random() < 0.75 else Direction.GIVEN
        place = ""
        if record_type in (RecordType.UNPLANNED, RecordType.LIFT, RecordType.FAMILY):
            key = {RecordType.LIFT: "travel", RecordType.FAMILY: "home"}.get(record_type, "public")
            place = rng.choice(PLACES[key])
        row = self.records_table.row(
            school_id=self.school_row.pk,
            author_id=person.pk,
            record_type=record_type,
            with_family_only=family,
            kind=kind,
            purpose=purpose,
            school_channel=channel,
            direction=direction,
            occurred_at=_aware(occurred),
            place=place,
            details=rng.choice(RECORD_DETAILS[record_type]),
            reply=rng.choice(REPLIES)
            if record_type == RecordType.CORRESPONDENCE and rng.random() < 0.4
            else "",
            route=Route.CHAIR_OF_GOVERNORS if person is self.head else Route.HEADTEACHER,
            created_at=_aware(made),
        )
        snapshot(row, assessment)
        item = _Pending(row, pupils, made=made)
        item.events.append(
            (
                made,
                person,
                "record.create",
                "",
                "",
                f"{RecordType(record_type).label}; verdict {row.verdict}",
            )
        )
        tell_head = (
            "report_to_head_immediately" in row.actions
            or record_type == RecordType.ONGOING
            or row.verdict != "record"
        )
        if tell_head:
            head_side = self.deciders(row.route, made, person)
            item.notices.append((made, head_side, "{ref} was recorded and needs your attention"))
            for reader in head_side:
                if reader is not self.chair and rng.random() < 0.5:
                    for pupil in pupils:
                        when = made + rng.randint(10 * MINUTE, 2 * DAY)
                        self.view(when, reader, _label(Pupil), pupil.pk, pupil.audit_ref)
        if person.manager is not None and "notify_line_manager" in row.actions:
            item.notices.append(
                (made, [person.manager], "{ref} was recorded by a member of your team")
            )
        # Whoever may read the pupils' files opens them now and then.
        browse = BROWSE_RATE
        while browse > 0:
            if rng.random() < browse:
                reader = rng.choice(self.readers)
                when = made + rng.randint(HOUR, 120 * DAY)
                if reader.present(when, when):
                    pupil = rng.choice(pupils)
                    self.view(when, reader, _label(Pupil), pupil.pk, pupil.audit_ref)
            browse -= 1
        if rng.random() < 0.015:
            by = person if rng.random() < 0.7 else rng.choice(self.seniors)
            when = made + rng.randint(HOUR, 30 * DAY)
            if when <= self.now and by.present(when, when):
                item.addenda.append((when, by, "Correction: the date was a day earlier."))
                item.events.append((when, by, "record.addendum", "", "", ""))
        return item

    def disclosures(self, count: int) -> None:
        rng = self.rng
        focus = min(self._focus_count("disclosures"), max(1, count // 3))
        stamps = self._times(count, focus, self.start + 2 * DAY)
        pending = []
        for said, is_focus in stamps:
            made = min(self.now, said + rng.randint(5 * MINUTE, 5 * HOUR))
            person = self.someone(said, made)
            day = self._day(said)
            pupil = self.focus if is_focus else None
            if pupil is None:
                pupil = self.pupil_on(day, "current" if rng.random() < 0.95 else "former")
            pupil = pupil or self.pupil_on(day, "current") or self.focus
            if pupil is self.focus:
                self.entries_of_focus += 1
            kind = (
                DisclosureType.CHILD_PROTECTION if rng.random() < 0.65 else DisclosureType.PERSONAL
            )
            row = Disclosure(
                school=self.school_row,
                author=person.staff,
                pupil=pupil,
                disclosure_type=kind,
                disclosed_at=_aware(said),
                disclosed_by="The pupil" if rng.random() < 0.85 else "A friend of the pupil",
                account=rng.choice(DISCLOSURE_ACCOUNTS[kind]),
                circumstances=rng.choice(CIRCUMSTANCES),
                action_taken=rng.choice(ACTIONS_TAKEN),
                created_at=_aware(made),
            )
            pending.append((row, person, made))
        self.insert(Disclosure, [row for row, _, _ in pending])
        addenda = []
        for row, person, made in pending:
            ref, url = row.reference, self.paths["disclosure_detail"].format(row.pk)
            otype = _label(Disclosure)
            self.event(
                made,
                person.pk,
                "disclosure.create",
                otype,
                str(row.pk),
                ref,
                reason=row.get_disclosure_type_display(),
            )
            if row.is_child_protection:
                readers = self.deciders(Route.HEADTEACHER, made, person)
                readers += [d for d in self.dsls if d is not person and d.present(made, made)]
                urgent = "child protection disclosure"
            else:
                readers, urgent = [p for p in [self.head] if p is not person], "disclosure"
            self.notice(made, readers, f"A {urgent} was recorded ({ref}): open it now", url)
            for reader in readers:
                for _ in range(rng.choice([1, 1, 2, 3])):
                    self.view(made + rng.randint(5 * MINUTE, 4 * DAY), reader, otype, row.pk, ref)
                if rng.random() < 0.6:
                    when = made + rng.randint(10 * MINUTE, 3 * DAY)
                    self.view(when, reader, _label(Pupil), row.pupil_id, row.pupil.audit_ref)
            if rng.random() < 0.05:
                by = rng.choice(readers or [person])
                when = made + rng.randint(HOUR, 20 * DAY)
                if when <= self.now:
                    text = "Social care informed; reference added."
                    addenda.append((by.pk, None, row.pk, text, _aware(when)))
                    self.event(when, by.pk, "disclosure.addendum", otype, str(row.pk), ref)
        self.fast(Addendum, ADDENDUM_FIELDS, addenda)

    def concerns(self, count: int) -> None:
        rng, pending = self.rng, []
        subjects = [p for p in self.askers if p is not self.head] + [self.head]
        for raised, _focus in self._times(count, 0, self.start + 5 * DAY):
            reporter = self.someone(raised, raised)
            if rng.random() < 0.25:
                subject = reporter
            elif rng.random() < 0.02:
                subject = self.head
            else:
                subject = next(
                    (
                        s
                        for s in (rng.choice(subjects) for _ in range(30))
                        if s.present(raised, raised) and s is not reporter
                    ),
                    reporter,
                )
            about_head = subject is self.head
            route = Route.CHAIR_OF_GOVERNORS if about_head else Route.HEADTEACHER
            related_record = None
            if subject is reporter and rng.random() < 0.3:
                mine = [pk for ts, pk in self.records_by_author.get(subject.pk, []) if ts < raised]
                related_record = mine[-1] if mine else None
            row = BoundaryConcern(
                school=self.school_row,
                reporter=reporter.staff,
                subject=subject.staff,
                route=route,
                occurred_on=self._day(raised - rng.randint(0, 5) * DAY),
                description=rng.choice(CONCERN_DESCRIPTIONS),
                confidential=subject is not reporter and rng.random() < 0.2,
                related_record_id=related_record,
                created_at=_aware(raised),
            )
            steps = []
            closing = rng.random() < (0.92 if self.now - raised > 30 * DAY else 0.4)
            when = raised
            for close in ([False] if rng.random() < 0.4 else []) + ([True] if closing else []):
                when = self.moment(when + HOUR, when + 12 * DAY)
                if when > self.now:
                    break
                managers = [m for m in self.deciders(route, when, subject) if m is not reporter]
                manager = (managers or self.deciders(route, when, subject))[0]
                response = rng.choice(CONCERN_RESPONSES)
                stamp = dt.datetime.fromtimestamp(when, self.tz).strftime("%d %b %Y %H:%M")
                entry = f"{stamp}, {manager.staff.full_name}: {response}"
                row.response = f"{row.response}\n\n{entry}".strip()
                if close:
                    row.outcome = rng.choices(list(Outcome), [45, 15, 20, 8, 4, 8])[0]
                    row.closed_by, row.closed_at = manager.staff, _aware(when)
                steps.append((when, manager, close))
            pending.append((row, reporter, subject, steps))
        self.insert(BoundaryConcern, [row for row, _, _, _ in pending])
        otype = _label(BoundaryConcern)
        self.concern_rows = []
        for row, reporter, subject, steps in pending:
            ref, url = row.reference, self.paths["concern_detail"].format(row.pk)
            made = int(row.created_at.timestamp())
            self.concern_rows.append((row, subject))
            self.event(
                made,
                reporter.pk,
                "concern.raise",
                otype,
                str(row.pk),
                ref,
                reason="self-referral" if row.is_self_referral else "",
            )
            managers = [m for m in self.deciders(row.route, made, subject) if m is not reporter]
            self.notice(made, managers, f"A boundary concern was raised ({ref})", url)
            for manager in managers:
                for _ in range(rng.choice([1, 2, 3])):
                    self.view(
                        made + rng.randint(10 * MINUTE, 10 * DAY), manager, otype, row.pk, ref
                    )
            for when, manager, close in steps:
                outcome = row.get_outcome_display() if close else ""
                self.event(
                    when,
                    manager.pk,
                    "concern.close" if close else "concern.respond",
                    otype,
                    str(row.pk),
                    ref,
                    "open",
                    "closed" if close else "open",
                    outcome,
                )

    def lado(self, count: int) -> None:
        rng, rows = self.rng, []
        linked = [(c, s) for c, s in self.concern_rows if c.outcome == Outcome.LADO]
        rng.shuffle(linked)
        for _ in range(count):
            concern, subject = linked.pop() if linked and rng.random() < 0.6 else (None, None)
            if concern is not None:
                # A concern referred to the LADO is closed, so it has closed_at.
                called = int(concern.closed_at.timestamp()) - rng.randint(HOUR, DAY)  # type: ignore[union-attr]
                called = max(called, int(concern.created_at.timestamp()) + HOUR)
            else:
                called = self.moment(self.start + 5 * DAY, self.now - HOUR)
                subject = self.someone(called, called)
            assert subject is not None  # the concern's subject, or someone chosen above
            recorder = self.chair if subject is self.head else rng.choice([self.head, *self.dsls])
            if recorder is subject:
                recorder = self.head
            kind = LadoType.REFERRAL if rng.random() < 0.4 else LadoType.CONSULTATION
            row = LadoReferral(
                school=self.school_row,
                recorded_by=recorder.staff,
                subject=subject.staff,
                concern=concern,
                referral_type=kind,
                contacted_at=_aware(called),
                spoke_to=rng.choice(LADO_OFFICERS),
                advice=rng.choice(LADO_ADVICE),
                created_at=_aware(called + rng.randint(5 * MINUTE, 2 * HOUR)),
            )
            outcome_at = called + rng.randint(14, 120) * DAY
            if kind == LadoType.REFERRAL and outcome_at < self.now and rng.random() < 0.8:
                row.outcome = rng.choices(list(LadoOutcome), [20, 35, 15, 5, 25])[0]
                row.outcome_on = self._day(outcome_at)
            rows.append((called, row, recorder, subject, outcome_at))
        rows.sort(key=lambda r: r[0])
        self.insert(LadoReferral, [r[1] for r in rows])
        otype = _label(LadoReferral)
        for _called, row, recorder, subject, outcome_at in rows:
            made = int(row.created_at.timestamp())
            self.event(
                made,
                recorder.pk,
                lado_action(cast("LadoKind", row.referral_type)),  # a LadoType value
                otype,
                str(row.pk),
                row.reference,
                reason=f"about {subject.staff.audit_ref}",
            )
            if row.outcome:
                self.event(
                    outcome_at,
                    recorder.pk,
                    "lado.outcome",
                    otype,
                    str(row.pk),
                    row.reference,
                    reason=row.get_outcome_display(),
                )

    # --- writing what was collected -------------------------------------------------------

    def write_notifications(self) -> None:
        self.notices.sort()
        rows = (
            (pk, message, url, _aware(ts), _aware(read) if read else None)
            for ts, _seq, pk, message, url, read in self.notices
        )
        fields = ("recipient_id", "message", "url", "created_at", "read_at")
        self.fast(Notification, fields, rows)
        self.notices = []

    def audit_events(self) -> Iterator[_Event]:
        school_id, roles = self.school_row.pk, self.role_of
        for ts, _seq, actor, action, otype, oid, ref, from_state, to_state, reason in self.events:
            role = roles[actor] if actor is not None else "system"
            yield _Event(
                school_id,
                actor,
                role,
                action,
                otype,
                oid,
                ref,
                from_state,
                to_state,
                reason,
                _aware(ts),
            )

    def write_events(self) -> None:
        self.events.sort()
        written = audit_append_many(self.audit_events(), batch_size=self.batch_size)
        self.counts[_label(AuditEvent)] += written
        self.events = []


# `seed_bench --schools N`: one installation holding N schools of a mix of sizes, as a trust or a
# local authority would (fractions of the large school: two small primaries for each middle-sized
# and each large secondary).
MIX = (0.002, 0.002, 0.005, 0.01)


def many_schools_name(n: int) -> tuple[str, str]:
    """The name and staff email domain of school n of `seed_bench --schools`."""
    return f"Benchmark School {n:03d}", f"s{n:03d}.{BENCH_DOMAIN}"


def bench_school(name: str = BENCH_SCHOOL) -> School | None:
    return School.objects.filter(name=name).order_by("pk").first()


def retire_bench_school(school: School, *, today: dt.date) -> dict[str, int]:
    """Clear away an earlier benchmark school so another can take its name.

    Everything that can be deleted is: requests, records, pupils, parents, notices. Its staff
    are kept (the audit trail names them) but renamed and deactivated, and its audit events
    stay where they are: the trail is append-only, so a fresh database is the only way to a
    trail with just one benchmark school in it.
    """
    deleted: Counter[str] = Counter()
    in_school = Q(school=school)
    for rows in (
        Addendum.objects.filter(Q(record__school=school) | Q(disclosure__school=school)),
        RequestNote.objects.filter(request__school=school),
        LadoReferral.objects.filter(in_school),
        BoundaryConcern.objects.filter(in_school),
        Disclosure.objects.filter(in_school),
        ContactRecord.objects.filter(in_school),
        ContactRequest.objects.filter(in_school),
        Notification.objects.filter(recipient__school=school),
        HeadAbsence.objects.filter(in_school),
        StaffRelative.objects.filter(staff__school=school),
        ParentCarer.objects.filter(in_school),
        Pupil.objects.filter(in_school),
        StaffRole.objects.filter(staff__school=school),
    ):
        _total, per_model = rows.delete()
        deleted.update(per_model)
    Staff.objects.filter(school=school).update(
        email=Concat(Value(f"replaced-{school.pk}-"), "email"),
        is_active=False,
        password=make_password(None),
    )
    school.name = f"{school.name} (replaced {today:%Y-%m-%d})"
    school.save(update_fields=["name"])
    audit_record(
        actor=None,
        school=school,
        action="bench.replace",
        obj=school,
        reason=f"benchmark data replaced by seed_bench: {sum(deleted.values())} rows deleted",
    )
    return dict(deleted)


def build_bench_school(
    scale: Scale,
    *,
    seed: int = DEFAULT_SEED,
    replace: bool = False,
    now: dt.datetime | None = None,
    batch_size: int = 2000,
    log: Callable[[str], None] = lambda message: None,
    name: str = BENCH_SCHOOL,
    domain: str = BENCH_DOMAIN,
) -> BenchResult:
    """Make the benchmark school (or another of that shape, named `name`, its staff's
    addresses at `domain`) in one transaction, or raise BenchSchoolExists."""
    began = time.perf_counter()
    if now is None:
        # The start of today: all the history is in the past, and a run later the same day
        # makes the same school.
        now = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    phases: list[tuple[str, float]] = []
    builder = _Builder(scale, seed=seed, now=now, batch_size=batch_size, name=name, domain=domain)

    def phase(name: str, step: Callable[[], object]) -> None:
        mark = time.perf_counter()
        step()
        phases.append((name, time.perf_counter() - mark))
        log(f"  {name}: {phases[-1][1]:.1f} s")

    replaced = None
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # One long transaction: nothing is lost by not waiting for each WAL flush.
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        existing = bench_school(name)
        if existing is not None:
            if not replace:
                raise BenchSchoolExists(
                    f"{name} already exists (school {existing.pk}): use --replace to replace it."
                )
            mark = time.perf_counter()
            replaced = retire_bench_school(existing, today=builder.today)
            phases.append(("replace the old school", time.perf_counter() - mark))
            log(f"  replace the old school: {phases[-1][1]:.1f} s")
        with _given_times(*DATED_MODELS):
            phase(
                "people",
                # Each step returns nothing: the tuple only runs them in order.
                lambda: (builder.school(), builder.people(), builder.pupils(), builder.absences()),  # type: ignore[func-returns-value]
            )
            phase("requests", builder.requests)
            sizes = builder.split_records()
            phase("records", lambda: builder.records(sizes["records"]))
            phase(
                "disclosures, concerns, LADO",
                lambda: (
                    builder.disclosures(sizes["disclosures"]),  # type: ignore[func-returns-value]
                    builder.concerns(sizes["concerns"]),  # type: ignore[func-returns-value]
                    builder.lado(sizes["lado"]),  # type: ignore[func-returns-value]
                ),
            )
            phase("notifications", builder.write_notifications)
            phase("audit events", builder.write_events)
    busy_requests = ContactRequest.objects.filter(requester=builder.coach.staff).count()
    people = [
        ("headteacher", builder.head.staff, "decides requests; the head's queue"),
        ("deputy headteacher", builder.deputy.staff, "decides while the head is away"),
        ("chair of governors", builder.chair.staff, "decides the head's own requests"),
        ("DSL", builder.dsls[0].staff, "reads disclosures"),
        # The busy requester is always given a line manager.
        ("line manager", builder.coach.manager.staff, "monitors the busy requester's contact"),  # type: ignore[union-attr]
        ("governor", builder.persons["governor1"].staff, "reads the governors' report"),
        ("administrator", builder.admin.staff, "edits people"),
    ]
    return BenchResult(
        school=builder.school_row,
        scale=scale,
        seed=seed,
        counts=dict(builder.counts),
        phases=phases,
        seconds=time.perf_counter() - began,
        people=people,
        focus_pupil=builder.focus,
        focus_pupil_entries=builder.entries_of_focus,
        busy_staff=builder.coach.staff,
        busy_staff_requests=busy_requests,
        replaced=replaced,
    )

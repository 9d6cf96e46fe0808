"""Who may look at whose pattern, the pattern view's page and the dashboard's "Worth a look".

The headteacher and the DSL look at any adult of their school but themselves and the head; the
chair of governors looks at the headteacher's (roles.PATTERN_READERS, HEAD_PATTERN_READERS).
Everything shown is read through the subjects' selectors (contacts.patterns.facts), so a
pattern never shows a reader more than their role already lets them read.
"""

from __future__ import annotations

import datetime as dt
import string
from dataclasses import dataclass, replace
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from contacts.concerns.models import BoundaryConcern, LadoReferral
from contacts.patterns.facts import (
    Fact,
    adults_changed,
    contact_between,
    facts_of,
    gather,
    rule_entries,
    thresholds_for,
)
from contacts.patterns.rules import Flag, Thresholds, flags_for
from contacts.people.models import Staff, StaffRole
from contacts.people.selectors import pupils_selectable_by, related_colleague_ids
from contacts.planned.models import ContactRequest
from contacts.planned.workflow import head_absent
from contacts.records.models import ContactRecord, Disclosure
from safeguard.core import roles
from safeguard.core.roles import Role

# Entries per page of the pattern view's chronology.
PATTERN_PAGE_SIZE = 30
# The detail page of each kind of entry (each checks its own reader again).
DETAIL_URLS = {
    "request": "request_detail",
    "record": "record_detail",
    "concern": "concern_detail",
    "disclosure": "disclosure_detail",
    "lado": "lado_detail",
}
# What each detail of an entry is called on the page.
DETAIL_WORDS = {
    "unplanned": "Unplanned",
    "gift": "Gift",
    "personal_message": "Personal message",
}


def adults_patterned_by(reader: Staff) -> QuerySet[Staff]:
    """The adults whose pattern the reader may open: never themselves nor a colleague they
    declared a relationship with (003 §3); the headteacher's only for the chair of governors;
    anyone else's for the headteacher and the DSL. Out of reach means absent (404)."""
    held = roles.roles_of(reader)
    heads = StaffRole.objects.filter(role=Role.HEADTEACHER).values("staff_id")
    reach = Q(pk__in=[])
    if held & roles.PATTERN_READERS:
        reach |= ~Q(pk__in=heads)
    if held & roles.HEAD_PATTERN_READERS:
        reach |= Q(pk__in=heads)
    return (
        Staff.objects.filter(school_id=reader.school_id)
        .filter(reach)
        .exclude(pk=reader.pk)
        .exclude(pk__in=related_colleague_ids(reader.pk))
    )


def may_open_pattern(reader: Staff, adult: Staff) -> bool:
    """The pattern view's permission, for a link to it (the staff member's page)."""
    if not roles.has_role(reader, roles.PATTERN_OPENERS):
        return False
    return adults_patterned_by(reader).filter(pk=adult.pk).exists()


def _pupil_labels(reader: Staff, facts: list[Fact]) -> dict[int, str]:
    """Each pupil's name as the reader may see it: a name where the reader may name pupils
    (people.selectors.pupils_selectable_by), otherwise "Pupil A", "Pupil B"… (the governors
    see no pupil's name)."""
    wanted = {pupil for fact in facts for pupil in fact.entry.pupils}
    named = {
        pupil.pk: pupil.full_name
        for pupil in pupils_selectable_by(reader).filter(pk__in=wanted).order_by("pk")
    }
    letters = iter(string.ascii_uppercase)
    labels = {}
    for pupil_id in sorted(wanted):
        if pupil_id in named:
            labels[pupil_id] = named[pupil_id]
        else:
            labels[pupil_id] = f"Pupil {next(letters, str(len(labels) + 1))}"
    return labels


@dataclass
class ShownFlag:
    title: str
    explanation: str
    pupil: str  # as the reader may see it; "" for a flag about no one pupil
    entries: list[dict[str, Any]]  # {reference, url, when} of the entries that made it


@dataclass
class PatternPage:
    flags: list[ShownFlag]
    page: Page  # of Facts, newest first
    entries: list[dict[str, Any]]  # the page's entries, loaded
    total: int


def _load(facts: list[Fact]) -> dict[str, Any]:
    """The rows behind these facts, by their key: a query or two per kind, whatever their
    number."""
    wanted: dict[str, list[int]] = {kind: [] for kind in DETAIL_URLS}
    for fact in facts:
        wanted[fact.entry.kind].append(fact.pk)
    loaded: dict[str, Any] = {}
    querysets: dict[str, QuerySet[Any]] = {
        "request": ContactRequest.objects.filter(pk__in=wanted["request"]),
        "record": ContactRecord.objects.filter(pk__in=wanted["record"]).annotate(
            addendum_count=Count("addenda")
        ),
        "concern": BoundaryConcern.objects.filter(pk__in=wanted["concern"]).only(
            "pk", "occurred_on", "closed_at", "outcome", "reporter_id", "subject_id", "confidential"
        ),
        "disclosure": Disclosure.objects.filter(pk__in=wanted["disclosure"]),
        "lado": LadoReferral.objects.filter(pk__in=wanted["lado"]),
    }
    for kind, rows in querysets.items():
        if wanted[kind]:
            loaded |= {f"{kind}:{item.pk}": item for item in rows}
    return loaded


def _shown_flags(
    flags: list[Flag], facts: dict[str, Fact], labels: dict[int, str], items: dict[str, Any]
) -> list[ShownFlag]:
    shown = []
    for flag in flags:
        entries = [
            {
                "reference": items[key].reference,
                "url": reverse(DETAIL_URLS[facts[key].entry.kind], args=[facts[key].pk]),
                "when": facts[key].when,
            }
            for key in flag.entries
        ]
        pupil = labels.get(flag.pupil, "") if flag.pupil is not None else ""
        shown.append(ShownFlag(flag.title, flag.explanation, pupil, entries))
    return shown


def _entry(fact: Fact, item: Any, labels: dict[int, str]) -> dict[str, Any]:
    return {
        "kind": fact.entry.kind,
        "is_request": fact.entry.kind == "request",
        "is_record": fact.entry.kind == "record",
        "is_concern": fact.entry.kind == "concern",
        "is_disclosure": fact.entry.kind == "disclosure",
        "is_lado": fact.entry.kind == "lado",
        "item": item,
        "when": fact.when,
        "readable": fact.readable,
        "url": reverse(DETAIL_URLS[fact.entry.kind], args=[fact.pk]),
        "anchor": fact.entry.key.replace(":", "-"),
        "pupils": [labels[p] for p in sorted(fact.entry.pupils, key=lambda p: labels[p])],
        "tags": [DETAIL_WORDS[d] for d in sorted(fact.entry.details) if d in DETAIL_WORDS],
    }


def pattern_page(reader: Staff, adult: Staff, *, number: str | int | None = None) -> PatternPage:
    """The flags on one adult's entries, and one page of the chronology (newest first), of what
    the reader may see. `adult` is one fetched through `adults_patterned_by`."""
    facts = facts_of(reader, adult)
    by_key = {fact.entry.key: fact for fact in facts}
    flags = flags_for(rule_entries(facts), thresholds_for(reader.school))
    page = Paginator(facts, PATTERN_PAGE_SIZE).get_page(number)
    flagged = {key for flag in flags for key in flag.entries}
    shown = list(page.object_list)
    items = _load([*shown, *(by_key[key] for key in flagged)])
    labels = _pupil_labels(reader, facts)
    return PatternPage(
        flags=_shown_flags(flags, by_key, labels, items),
        page=page,
        entries=[_entry(fact, items[fact.entry.key], labels) for fact in shown],
        total=len(facts),
    )


@dataclass(frozen=True)
class WorthALook:
    adult_id: int
    name: str
    titles: list[str]
    url: str  # the adult's pattern page


@dataclass(frozen=True)
class Flagged:
    """One adult's flags as the panel keeps them: their titles, and the keys of the entries
    that make them (what `worth_next_day` asks about)."""

    titles: list[str]
    made_of: frozenset[str]


@dataclass(frozen=True)
class WorthState:
    """The panel as worked out, with what bringing it up to date needs (the dashboard keeps it,
    safeguard.audit.selectors.kept_panels): who the reader may look at, and who is flagged."""

    limits: Thresholds
    since: dt.date  # the window's first day: contact before it is not counted
    head_away: bool | None  # for a head's stand-in, whether the head was away (`_head_away`)
    reach: dict[int, tuple[str, str]]  # every adult the reader may look at: (first, last name)
    flagged: dict[int, Flagged]  # those with a flag
    rows: tuple[WorthALook, ...]  # the flagged, by name: what the panel shows


def worth_a_look(reader: Staff) -> list[WorthALook]:
    """Every adult the reader may look at with a flag in recent contact, and what each flag
    is, by name."""
    return list(worth_worked_out(reader).rows)


def worth_worked_out(reader: Staff) -> WorthState:
    """ "Worth a look" worked out for every adult in reach: a few queries whatever the number of
    staff (each kind of entry read once for the whole school, then grouped by adult)."""
    limits = thresholds_for(reader.school)
    since = window_start(limits)
    if not roles.has_role(reader, roles.PATTERN_OPENERS):
        return _state(limits, since, None, {}, {})
    head_away = _head_away(reader)
    adults = adults_patterned_by(reader)
    reach = _reach(adults)
    # The adults as a subquery, not their ids: planned as a join, a third quicker at 300 staff.
    flagged = _flagged(reader, adults.values("pk"), limits, since) if reach else {}
    return _state(limits, since, head_away, reach, flagged)


def _head_away(reader: Staff) -> bool | None:
    """Whether the head is recorded away today, for a reader whose reach it changes: the head's
    stand-ins read the concerns the head manages while the head is away, and an absence starts
    and ends by the date, with no change to follow. None for anyone else."""
    if not roles.has_role(reader, roles.HEAD_STAND_INS):
        return None
    return head_absent(reader.school_id)


def window_start(limits: Thresholds) -> dt.date:
    """The first day of the contact "Worth a look" counts: the longest contact window back from
    today (a pattern's entries all lie within one window), not ten years of it. Every concern
    is counted whatever its date; the adult's own pattern page reads their whole history."""
    window = max(limits.unplanned_days, limits.gifts_messages_days)
    return timezone.localdate() - dt.timedelta(days=window)


def worth_caught_up(
    reader: Staff, state: WorthState, changes: list[tuple[str, str, str]]
) -> WorthState | None:
    """`state` brought up to date after these changes (action, object type, object id): only
    the adults whose entries they touched are worked out again. None when they could have
    touched more (`adults_changed`), or the school's thresholds changed: work it all out."""
    changed = adults_changed(changes)
    if changed is None or thresholds_for(reader.school) != state.limits:
        return None
    if not roles.has_role(reader, roles.PATTERN_OPENERS):
        return state
    reach = state.reach
    if newcomers := changed - reach.keys():
        # Anyone who joined since (or the reader, out of reach). Leaving it takes a change to
        # staff, roles or relationships, after which everything is worked out again.
        reach = reach | _reach(adults_patterned_by(reader).filter(pk__in=newcomers))
    # Over the state's own window (`worth_next_day` moves it on), so every adult's flags are.
    return _again(reader, state, changed, reach=reach)


def worth_next_day(reader: Staff, state: WorthState) -> WorthState | None:
    """`state` brought to today's window: only the adults one of whose flags is made of contact
    that has left the window since (dated from its old first day up to today's) are worked out
    again. Nothing else changes with the date: the rules count entries against each other,
    never against today, and who may read what depends on it only for the head's stand-ins
    (`_head_away`). Contact leaving never makes a flag, and a flag stays while its entries do
    (`contacts.patterns.rules.flags_for`). None when the window moved back (the clock, or the
    school's time zone), the thresholds changed, or the head's absence began or ended for a
    stand-in: work it all out."""
    since = window_start(state.limits)
    if since < state.since or thresholds_for(reader.school) != state.limits:
        return None
    if roles.has_role(reader, roles.PATTERN_OPENERS) and _head_away(reader) != state.head_away:
        return None
    if since == state.since or not state.flagged:
        return replace(state, since=since)
    left = contact_between(reader.school_id, state.since, since)
    undone = {pk for pk, flagged in state.flagged.items() if flagged.made_of & left}
    return _again(reader, replace(state, since=since), undone, reach=state.reach)


def _again(
    reader: Staff, state: WorthState, adults: set[int], *, reach: dict[int, tuple[str, str]]
) -> WorthState:
    """`state` with these adults' flags worked out again (over its window); everyone else's
    kept."""
    again = sorted(adults & reach.keys())
    flagged = {pk: kept for pk, kept in state.flagged.items() if pk not in adults}
    if again:
        flagged |= _flagged(reader, again, state.limits, state.since)
    return _state(state.limits, state.since, state.head_away, reach, flagged)


def _state(
    limits: Thresholds,
    since: dt.date,
    head_away: bool | None,
    reach: dict[int, tuple[str, str]],
    flagged: dict[int, Flagged],
) -> WorthState:
    order = sorted(flagged, key=lambda pk: (reach[pk][1], reach[pk][0], pk))
    rows = tuple(
        WorthALook(
            pk,
            f"{reach[pk][0]} {reach[pk][1]}".strip(),
            flagged[pk].titles,
            reverse("staff_pattern", args=[pk]),
        )
        for pk in order
    )
    return WorthState(limits, since, head_away, reach, flagged, rows)


def _reach(adults: QuerySet[Staff]) -> dict[int, tuple[str, str]]:
    names = adults.values_list("pk", "first_name", "last_name")
    return {pk: (first, last) for pk, first, last in names}


def _flagged(
    reader: Staff, adults: list[int] | QuerySet, limits: Thresholds, since: dt.date
) -> dict[int, Flagged]:
    """The flags of those of these adults with any, counting contact from `since`
    (`window_start`)."""
    gathered = gather(reader, adults, every_kind=False, contact_since=since, counted_only=True)
    flagged = {}
    for adult_id, facts in gathered.items():
        if flags := flags_for(rule_entries(facts), limits):
            titles = list(dict.fromkeys(flag.title for flag in flags))
            made_of = frozenset(key for flag in flags for key in flag.entries)
            flagged[adult_id] = Flagged(titles, made_of)
    return flagged

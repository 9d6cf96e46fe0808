"""Patterns in one adult's contact with pupils: pure rules, no Django (issue 17, item 6).

Facts in (the adult's dated entries), thresholds in, flags out. Each flag names its rule in plain
words and the entries that made it. A flag is "worth a look", never a finding: each entry is
harmless on its own, and spotting a run of them is why low-level concerns are recorded at all
(KCSIE; 003 §6 "Keep a record"). The rules and every judgement call are in docs/policy-rules.md
("Patterns in one adult's contact"); contacts/patterns/facts.py turns models into these facts.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

# What an entry is on the chronology.
EntryKind = Literal["request", "record", "concern", "disclosure", "lado"]
# What the rules read of an entry, besides its date and pupils:
# "contact": contact that happened or was agreed (a record; an approved or completed request);
# "unplanned": contact recorded as having happened by chance;
# "gift": a gift from the adult to a pupil; "personal_message": a personal text, call, email,
# letter, card or social-media message from the adult to a pupil;
# "concern": a boundary concern about the adult (its pupils: the pupils of the entry it is about).
Detail = Literal["contact", "unplanned", "gift", "personal_message", "concern"]

RuleId = Literal["unplanned", "gifts_messages", "concerns", "contact_after_concern"]


@dataclass(frozen=True)
class Entry:
    """One dated entry about the adult. `key` is opaque to the rules (the app uses the
    entry's reference); `refers_to` holds the keys of entries this one is about (a concern's
    record or request)."""

    key: str
    kind: EntryKind
    on: dt.date
    pupils: frozenset[int] = frozenset()
    details: frozenset[Detail] = frozenset()
    refers_to: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Thresholds:
    """How many entries within how many days make a pattern (school settings; the defaults are
    the issue's). A window of N days holds entries whose first and last dates are at most N
    days apart."""

    unplanned_count: int = 3
    unplanned_days: int = 90
    gifts_messages_count: int = 2
    gifts_messages_days: int = 90
    concerns_count: int = 2
    concerns_days: int = 365

    def __post_init__(self) -> None:
        for name in ("unplanned_count", "gifts_messages_count", "concerns_count"):
            value = getattr(self, name)
            # A "pattern" of one would flag every entry: two is the least that repeats.
            if isinstance(value, bool) or not isinstance(value, int) or value < 2:
                raise ValueError(f"{name}: a whole number of 2 or more")
        for name in ("unplanned_days", "gifts_messages_days", "concerns_days"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name}: a whole number of days, 1 or more")


@dataclass(frozen=True)
class Flag:
    """Worth a look: which rule, in plain words, about which pupil (None: not about one pupil),
    and the keys of the entries that made it, oldest first."""

    rule: RuleId
    title: str
    explanation: str
    pupil: int | None
    entries: tuple[str, ...] = field(default=())


# Each rule's name in plain words, for the dashboard and the top of the pattern view.
TITLES: dict[RuleId, str] = {
    "unplanned": "Repeated unplanned contact with one pupil",
    "gifts_messages": "Repeated gifts or personal messages to one pupil",
    "concerns": "More than one boundary concern",
    "contact_after_concern": "Contact with a pupil named in a concern",
}


def _windows(entries: Sequence[Entry], count: int, days: int) -> list[Entry]:
    """The entries that lie in some window of `days` holding at least `count` entries, oldest
    first (each window anchored at an entry, so every qualifying run is found)."""
    ordered = sorted(entries, key=lambda e: (e.on, e.key))
    chosen: dict[str, Entry] = {}
    end = 0
    for start, first in enumerate(ordered):
        end = max(end, start)
        while end + 1 < len(ordered) and (ordered[end + 1].on - first.on).days <= days:
            end += 1
        if end - start + 1 >= count:
            for entry in ordered[start : end + 1]:
                chosen[entry.key] = entry
    return sorted(chosen.values(), key=lambda e: (e.on, e.key))


def _by_pupil(
    entries: Iterable[Entry], detail: Detail | tuple[Detail, ...]
) -> dict[int, list[Entry]]:
    wanted = (detail,) if isinstance(detail, str) else detail
    grouped: dict[int, list[Entry]] = defaultdict(list)
    for entry in entries:
        if any(d in entry.details for d in wanted):
            for pupil in entry.pupils:
                grouped[pupil].append(entry)
    return grouped


def _within(made: int, what: str, count: int, days: int) -> str:
    """ "3 unplanned contacts … within 90 days", or, for more than the threshold, how many of
    them make it."""
    if made == count:
        return f"{made} {what} within {days} days."
    return f"{made} {what}, at least {count} of them within {days} days of each other."


def _keys(entries: Iterable[Entry]) -> tuple[str, ...]:
    return tuple(e.key for e in entries)


def unplanned_contact(entries: Sequence[Entry], limits: Thresholds) -> list[Flag]:
    """`unplanned_count` or more unplanned contacts with the same pupil within `unplanned_days`
    (004 §12: contact that happens by chance is discussed with a manager; a run of it with one
    pupil may not be chance)."""
    flags = []
    for pupil, rows in sorted(_by_pupil(entries, "unplanned").items()):
        made = _windows(rows, limits.unplanned_count, limits.unplanned_days)
        if made:
            flags.append(
                Flag(
                    "unplanned",
                    TITLES["unplanned"],
                    _within(
                        len(made),
                        "unplanned contacts with the same pupil",
                        limits.unplanned_count,
                        limits.unplanned_days,
                    ),
                    pupil,
                    _keys(made),
                )
            )
    return flags


def gifts_and_messages(entries: Sequence[Entry], limits: Thresholds) -> list[Flag]:
    """`gifts_messages_count` or more gifts or personal messages from the adult to the same
    pupil within `gifts_messages_days` (003 §2 on favouritism; 004 §13: special attention and
    favour can be part of grooming)."""
    flags = []
    for pupil, rows in sorted(_by_pupil(entries, ("gift", "personal_message")).items()):
        made = _windows(rows, limits.gifts_messages_count, limits.gifts_messages_days)
        if made:
            flags.append(
                Flag(
                    "gifts_messages",
                    TITLES["gifts_messages"],
                    _within(
                        len(made),
                        "gifts or personal messages to the same pupil",
                        limits.gifts_messages_count,
                        limits.gifts_messages_days,
                    ),
                    pupil,
                    _keys(made),
                )
            )
    return flags


def repeated_concerns(entries: Sequence[Entry], limits: Thresholds) -> list[Flag]:
    """`concerns_count` or more boundary concerns about the adult within `concerns_days`,
    whoever raised them and whichever pupils they name (KCSIE: low-level concerns are recorded
    so that a pattern can be seen)."""
    rows = [e for e in entries if "concern" in e.details]
    made = _windows(rows, limits.concerns_count, limits.concerns_days)
    if not made:
        return []
    return [
        Flag(
            "concerns",
            TITLES["concerns"],
            _within(
                len(made),
                "boundary concerns about this adult",
                limits.concerns_count,
                limits.concerns_days,
            ),
            None,
            _keys(made),
        )
    ]


def contact_after_concern(entries: Sequence[Entry]) -> list[Flag]:
    """Contact with a pupil on or after the date of a concern about the adult that names that
    pupil; the entry the concern is about does not count against it."""
    concerns = _by_pupil(entries, "concern")
    contact = _by_pupil(entries, "contact")
    flags = []
    for pupil in sorted(concerns.keys() & contact.keys()):
        raised = concerns[pupil]
        about = {key for concern in raised for key in concern.refers_to}
        first = min(concern.on for concern in raised)
        later = [e for e in contact[pupil] if e.on >= first and e.key not in about]
        if later:
            made = sorted([*raised, *later], key=lambda e: (e.on, e.key))
            flags.append(
                Flag(
                    "contact_after_concern",
                    TITLES["contact_after_concern"],
                    f"{len(later)} contact{'s' if len(later) != 1 else ''} with a pupil named "
                    "in a boundary concern about this adult, on or after the concern's date.",
                    pupil,
                    _keys(made),
                )
            )
    return flags


def flags_for(entries: Sequence[Entry], limits: Thresholds | None = None) -> list[Flag]:
    """Every flag for one adult's entries, in rule order, then by pupil.

    With the concerns unchanged, taking contact away never flags a rule that was not flagged,
    and a rule stays flagged while the entries one of its flags names stay: the dashboard moves
    "Worth a look" to the next day on that (contacts.patterns.selectors.worth_next_day), and
    tests/contacts/patterns/test_rules.py checks it. A new rule must keep it."""
    limits = limits or Thresholds()
    return [
        *unplanned_contact(entries, limits),
        *gifts_and_messages(entries, limits),
        *repeated_concerns(entries, limits),
        *contact_after_concern(entries),
    ]

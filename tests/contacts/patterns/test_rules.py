"""The pattern rules, pure: each at, just below and just above its threshold, the date windows,
different pupils never combined, and each flag naming the entries that made it."""

import datetime as dt

import pytest

from contacts.patterns.rules import (
    Entry,
    Thresholds,
    contact_after_concern,
    flags_for,
    gifts_and_messages,
    repeated_concerns,
    unplanned_contact,
)

DAY0 = dt.date(2026, 1, 5)
ANA, BEN = 1, 2


def on(days: int) -> dt.date:
    return DAY0 + dt.timedelta(days=days)


def unplanned(key: str, days: int, pupil: int = ANA) -> Entry:
    return Entry(key, "record", on(days), frozenset({pupil}), frozenset({"contact", "unplanned"}))


def gift(key: str, days: int, pupil: int = ANA) -> Entry:
    return Entry(key, "record", on(days), frozenset({pupil}), frozenset({"contact", "gift"}))


def message(key: str, days: int, pupil: int = ANA) -> Entry:
    details = frozenset({"contact", "personal_message"})
    return Entry(key, "request", on(days), frozenset({pupil}), details)


def contact(key: str, days: int, pupil: int = ANA) -> Entry:
    return Entry(key, "record", on(days), frozenset({pupil}), frozenset({"contact"}))


def concern(key: str, days: int, pupils=(), about=()) -> Entry:
    return Entry(
        key, "concern", on(days), frozenset(pupils), frozenset({"concern"}), frozenset(about)
    )


LIMITS = Thresholds()


# --- unplanned contact: three with one pupil within 90 days ---------------------------------


def test_three_unplanned_contacts_with_one_pupil_within_90_days_are_worth_a_look():
    entries = [unplanned("a", 0), unplanned("b", 30), unplanned("c", 90)]
    [flag] = unplanned_contact(entries, LIMITS)
    assert flag.rule == "unplanned"
    assert flag.title == "Repeated unplanned contact with one pupil"
    assert flag.pupil == ANA
    assert flag.entries == ("a", "b", "c")
    assert flag.explanation == "3 unplanned contacts with the same pupil within 90 days."


def test_two_unplanned_contacts_are_not():
    assert unplanned_contact([unplanned("a", 0), unplanned("b", 10)], LIMITS) == []


def test_four_unplanned_contacts_name_all_four():
    entries = [unplanned(k, d) for k, d in (("a", 0), ("b", 5), ("c", 10), ("d", 15))]
    [flag] = unplanned_contact(entries, LIMITS)
    assert flag.entries == ("a", "b", "c", "d")
    assert flag.explanation == (
        "4 unplanned contacts with the same pupil, at least 3 of them within 90 days of each other."
    )


def test_the_window_is_90_days_first_to_last_and_91_is_outside():
    assert unplanned_contact([unplanned("a", 0), unplanned("b", 45), unplanned("c", 90)], LIMITS)
    assert not unplanned_contact(
        [unplanned("a", 0), unplanned("b", 45), unplanned("c", 91)], LIMITS
    )


def test_the_window_slides_and_names_only_the_entries_inside_it():
    entries = [unplanned("old", 0), unplanned("a", 200), unplanned("b", 220), unplanned("c", 240)]
    [flag] = unplanned_contact(entries, LIMITS)
    assert flag.entries == ("a", "b", "c")


def test_unplanned_contacts_with_different_pupils_are_not_combined():
    entries = [unplanned("a", 0, ANA), unplanned("b", 1, BEN), unplanned("c", 2, ANA)]
    assert unplanned_contact(entries, LIMITS) == []


def test_one_record_with_two_pupils_counts_for_each():
    both = Entry("ab", "record", on(0), frozenset({ANA, BEN}), frozenset({"unplanned"}))
    entries = [both, unplanned("a", 1, ANA), unplanned("a2", 2, ANA), unplanned("b", 3, BEN)]
    [flag] = unplanned_contact(entries, LIMITS)
    assert (flag.pupil, flag.entries) == (ANA, ("ab", "a", "a2"))


def test_planned_contact_is_not_unplanned():
    entries = [contact("a", 0), contact("b", 1), contact("c", 2)]
    assert unplanned_contact(entries, LIMITS) == []


def test_the_school_sets_the_unplanned_threshold_and_window():
    limits = Thresholds(unplanned_count=4, unplanned_days=30)
    three = [unplanned("a", 0), unplanned("b", 10), unplanned("c", 20)]
    assert not unplanned_contact(three, limits)
    assert unplanned_contact([*three, unplanned("d", 30)], limits)
    assert not unplanned_contact([*three, unplanned("d", 31)], limits)


# --- gifts and personal messages: two to one pupil within 90 days ---------------------------


def test_two_gifts_to_one_pupil_within_90_days_are_worth_a_look():
    [flag] = gifts_and_messages([gift("g1", 0), gift("g2", 90)], LIMITS)
    assert (flag.rule, flag.pupil, flag.entries) == ("gifts_messages", ANA, ("g1", "g2"))


def test_one_gift_is_not():
    assert gifts_and_messages([gift("g1", 0)], LIMITS) == []


def test_two_gifts_91_days_apart_are_not():
    assert gifts_and_messages([gift("g1", 0), gift("g2", 91)], LIMITS) == []


def test_three_gifts_and_messages_name_all_three():
    entries = [gift("g1", 0), message("m1", 5), gift("g2", 10)]
    [flag] = gifts_and_messages(entries, LIMITS)
    assert flag.entries == ("g1", "m1", "g2")


def test_a_gift_and_a_personal_message_to_one_pupil_count_together():
    [flag] = gifts_and_messages([gift("g1", 0), message("m1", 3)], LIMITS)
    assert flag.entries == ("g1", "m1")


def test_gifts_to_different_pupils_are_not_combined():
    assert gifts_and_messages([gift("g1", 0, ANA), gift("g2", 1, BEN)], LIMITS) == []


def test_unplanned_contact_is_not_a_gift():
    assert gifts_and_messages([unplanned("a", 0), unplanned("b", 1)], LIMITS) == []


# --- concerns: two within a year -------------------------------------------------------------


def test_two_concerns_within_a_year_are_worth_a_look():
    [flag] = repeated_concerns([concern("c1", 0), concern("c2", 365)], LIMITS)
    assert (flag.rule, flag.pupil, flag.entries) == ("concerns", None, ("c1", "c2"))
    assert flag.title == "More than one boundary concern"


def test_one_concern_is_not():
    assert repeated_concerns([concern("c1", 0)], LIMITS) == []


def test_two_concerns_366_days_apart_are_not():
    assert repeated_concerns([concern("c1", 0), concern("c2", 366)], LIMITS) == []


def test_three_concerns_name_all_three_whichever_pupils():
    entries = [concern("c1", 0, [ANA]), concern("c2", 10, [BEN]), concern("c3", 20)]
    [flag] = repeated_concerns(entries, LIMITS)
    assert flag.entries == ("c1", "c2", "c3")


# --- contact with a pupil named in a concern ----------------------------------------------------


def test_contact_after_a_concern_naming_the_pupil_is_worth_a_look():
    entries = [
        contact("about", 0),
        concern("c1", 0, [ANA], about=["about"]),
        contact("later", 20),
    ]
    [flag] = contact_after_concern(entries)
    assert (flag.rule, flag.pupil) == ("contact_after_concern", ANA)
    assert flag.entries == ("c1", "later")


def test_the_entry_the_concern_is_about_does_not_count_alone():
    entries = [contact("about", 0), concern("c1", 0, [ANA], about=["about"])]
    assert contact_after_concern(entries) == []


def test_contact_on_the_concerns_date_counts_and_the_day_before_does_not():
    assert contact_after_concern([concern("c1", 10, [ANA]), contact("same", 10)])
    assert not contact_after_concern([concern("c1", 10, [ANA]), contact("before", 9)])


def test_contact_with_another_pupil_is_not_combined():
    assert contact_after_concern([concern("c1", 0, [ANA]), contact("b", 5, BEN)]) == []


def test_a_concern_naming_no_pupil_flags_no_contact():
    assert contact_after_concern([concern("c1", 0), contact("a", 5)]) == []


# --- all the rules together -------------------------------------------------------------------


def test_flags_for_runs_every_rule_in_order():
    entries = [
        unplanned("u1", 0),
        unplanned("u2", 10),
        unplanned("u3", 20),
        gift("g1", 30, BEN),
        gift("g2", 40, BEN),
        concern("c1", 50, [BEN]),
        concern("c2", 60),
        contact("b", 70, BEN),
    ]
    rules = [flag.rule for flag in flags_for(entries)]
    assert rules == ["unplanned", "gifts_messages", "concerns", "contact_after_concern"]


def test_nothing_flags_nothing():
    assert flags_for([]) == []


@pytest.mark.parametrize(
    "changes",
    [
        {"unplanned_count": 1},
        {"gifts_messages_count": 0},
        {"concerns_count": True},
        {"unplanned_days": 0},
        {"concerns_days": 1.5},
    ],
)
def test_thresholds_refuse_a_pattern_of_one_or_a_window_of_nothing(changes):
    with pytest.raises(ValueError):
        Thresholds(**changes)


# --- contact leaving: what "Worth a look" relies on to move to the next day ------------------


def _random_entries(rng) -> list[Entry]:
    makers = [unplanned, unplanned, gift, message, contact]
    entries = [
        rng.choice(makers)(f"c{n}", rng.randint(0, 200), rng.choice((ANA, BEN)))
        for n in range(rng.randint(0, 14))
    ]
    for n in range(rng.randint(0, 3)):
        about = rng.sample([e.key for e in entries], k=min(len(entries), rng.randint(0, 1)))
        pupils = rng.sample((ANA, BEN), k=rng.randint(0, 2))
        entries.append(concern(f"k{n}", rng.randint(0, 200), pupils, about))
    return entries


def test_contact_leaving_never_makes_a_flag_and_leaves_a_flag_whose_entries_stay():
    """The dashboard's "Worth a look" moves to the next day by working out again only the
    adults with a flag made of contact that left the window
    (contacts.patterns.selectors.worth_next_day). That is right because, with concerns kept,
    taking contact away never flags a rule that was not flagged, and a rule stays flagged while
    the entries one of its flags names stay. Checked on random entries, each time taking away
    the contact up to a random date, as a window moving on does."""
    import random

    rng = random.Random(2026)
    limits = Thresholds(unplanned_count=3, unplanned_days=60, gifts_messages_days=60)
    compared = 0
    for _ in range(3000):
        entries = _random_entries(rng)
        flags = flags_for(entries, limits)
        cut = on(rng.randint(0, 200))
        left = {e.key for e in entries if e.kind != "concern" and e.on < cut}
        kept = [e for e in entries if e.key not in left]
        before, after = {f.rule for f in flags}, {f.rule for f in flags_for(kept, limits)}
        assert after <= before
        if not left & {key for flag in flags for key in flag.entries}:
            assert after == before
            compared += bool(left and flags)
    assert compared > 100, "the random entries made flags whose contact partly left"

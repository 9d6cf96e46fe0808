"""Issue 17, item 6: the head sees "Worth a look" on the dashboard, opens one adult's pattern
and sees the flags and the entries that made them (three chance meetings with one pupil within
90 days and two gifts to her), built through the same services the pages use."""

from contacts.patterns.services import PATTERN_TYPE
from safeguard.audit.models import AuditEvent
from tests.e2e.scenes import current_pupil
from tests.factories_records import make_record, past

GIFT = {"record_type": "gift", "kind": "gift", "purpose": "personal", "direction": "given"}


def test_the_head_sees_a_pattern_worth_a_look_and_what_made_it(people, head, teacher):
    maisie = current_pupil(teacher.school)
    meetings = [
        make_record(
            teacher,
            [maisie],
            purpose="personal",
            occurred_at=past(days),
            place=place,
            details="Bumped into Maisie by chance; we talked about her reading.",
        )
        for days, place in ((70, "The park"), (35, "The leisure centre"), (8, "The library"))
    ]
    gifts = [
        make_record(teacher, [maisie], occurred_at=past(days), details=what, **GIFT)
        for days, what in ((40, "Gave Maisie a book."), (12, "Gave Maisie a card."))
    ]

    helen = people(head)
    helen.open("/dashboard/")
    helen.sees("Worth a look (1)", f"{teacher.full_name} · Repeated unplanned contact")
    helen.screenshot("pattern-worth-a-look")
    helen.click(helen.page.get_by_role("link", name=teacher.full_name, exact=True))
    helen.sees(
        f"Pattern: {teacher.full_name}",
        "Worth a look (2)",
        "Repeated unplanned contact with one pupil · Maisie Clarke",
        "3 unplanned contacts with the same pupil within 90 days.",
        "Repeated gifts or personal messages to one pupil · Maisie Clarke",
        "not a finding",
    )
    flags = helen.page.locator("li.flag")
    for record in meetings:
        assert flags.nth(0).get_by_role("link", name=record.reference).count() == 1
    for record in gifts:
        assert flags.nth(1).get_by_role("link", name=record.reference).count() == 1
    helen.screenshot("pattern-view")
    assert AuditEvent.objects.filter(object_type=PATTERN_TYPE, actor=head).count() == 1

    # Each entry a flag names opens on its own page.
    helen.click(flags.nth(1).get_by_role("link", name=gifts[0].reference))
    helen.sees(gifts[0].reference, "Gave Maisie a book.")

"""Who decides what, as the policies say (issue 18, points 5 and 6): a photograph authorised by
an assistant head (003 §5), and a family-liaison entry the acting deputy cannot read (002)."""

from django.utils import timezone

from contacts.planned.models import ContactRequest, HeadAbsence, Status
from tests.e2e.scenes import current_pupil
from tests.factories_requests import future, make_request

PHOTO_REASONS = (
    "Photographs of the Year 8 science fair for the school newsletter, on the school camera."
)
FAMILY_REASONS = "Home visit about attendance, at the family's request."


def test_an_assistant_head_authorises_a_photograph(people, teacher, head, assistant):
    maisie = current_pupil(teacher.school)
    photo = make_request(
        teacher,
        [maisie],
        kind="photography",
        school_channel=True,
        reasons=PHOTO_REASONS,
        starts_at=future(3),
    )

    priya = people(assistant)
    priya.follow("Decisions")
    priya.sees("Requests waiting for your decision (1)", photo.reference, "Taking photos or video")
    priya.follow(photo.reference, exact=True)
    priya.sees(PHOTO_REASONS, "Your decision")
    priya.page.get_by_role("radio", name="Approve").check()
    priya.click("Record decision")
    priya.sees(f"{photo.reference} was approved.")

    photo.refresh_from_db()
    assert (photo.status, photo.decided_by) == (Status.APPROVED, assistant)
    tom = people(teacher)
    tom.open(f"/requests/{photo.pk}/")
    tom.sees("Approved by", assistant.full_name, "for the senior leadership team")


def test_the_acting_deputy_cannot_read_a_family_entry_the_assistant_head_decides(
    people, teacher, head, deputy, assistant
):
    maisie = current_pupil(teacher.school)
    today = timezone.localdate()
    HeadAbsence.objects.create(school=head.school, starts_on=today, ends_on=today, created_by=head)
    entry = make_request(
        teacher, [maisie], with_family_only=True, reasons=FAMILY_REASONS, starts_at=future(2)
    )

    david = people(deputy)
    david.follow("Decisions")
    david.sees("Requests waiting for your decision (0)")
    david.does_not_see(entry.reference)
    david.open(f"/requests/{entry.pk}/")
    david.sees(f"{entry.reference}: restricted", "assistant headteacher")
    david.does_not_see(FAMILY_REASONS, "Your decision")

    priya = people(assistant)
    priya.follow("Decisions")
    priya.sees("The headteacher is recorded as absent", entry.reference)
    priya.follow(entry.reference, exact=True)
    priya.sees(FAMILY_REASONS, "Your decision")
    priya.page.get_by_role("radio", name="Approve").check()
    priya.click("Record decision")
    priya.sees(f"{entry.reference} was approved.")
    assert ContactRequest.objects.get(pk=entry.pk).decided_by == assistant

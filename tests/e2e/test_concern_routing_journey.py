"""Where a boundary concern goes: one about a colleague reaches the head and the DSL (told it was
raised, not by whom), never the colleague; one sent by the whistleblowing route reaches only the
governor the chair named."""

from django.utils import timezone

from contacts.concerns.models import BoundaryConcern
from contacts.people.services import governance_roles_set
from safeguard.core.roles import Role

WORRY = "Saw a colleague giving the same pupil lifts home three times this week."


def _raise(person, about, *, whistleblowing=False):
    person.follow("Concerns")
    person.follow("Raise a concern")
    person.sees("Who will see it", "The person it is about never sees it.")
    person.field("Who is the concern about?").select_option(
        label=f"{about.full_name}, {about.job_title}"
    )
    person.field("When it happened").fill(timezone.localdate().isoformat())
    person.field("What happened, or what worries you").fill(WORRY)
    person.page.get_by_label("Keep my name from anyone but the case manager").check()
    if whistleblowing:
        person.page.get_by_label("Send it only to the governor for whistleblowing").check()
    person.click("Pass it on")


def test_a_concern_reaches_the_head_and_the_dsl_never_its_subject(
    people, head, dsl, teacher, colleague
):
    nadia = people(colleague)
    _raise(nadia, teacher)
    concern = BoundaryConcern.objects.get()
    nadia.sees(f"{concern.reference} was passed to the headteacher, {head.full_name}.")

    helen = people(head)
    helen.follow("Needs attention")
    helen.sees(concern.reference)

    grace = people(dsl)
    grace.follow("Notifications")
    grace.sees(f"A boundary concern ({concern.reference}) was raised about a member of staff")
    grace.does_not_see(colleague.full_name)

    tom = people(teacher)
    tom.follow("Concerns")
    tom.does_not_see(concern.reference, WORRY)
    address = f"/concerns/{concern.pk}/"
    with tom.expecting(404, address):
        tom.open(address)


def test_a_whistleblowing_report_reaches_only_the_named_governor(
    people, head, dsl, chair, governor, teacher, colleague
):
    governance_roles_set(
        actor=chair, staff=governor, roles_held=[Role.GOVERNOR, Role.WHISTLEBLOWING_GOVERNOR]
    )
    nadia = people(colleague)
    _raise(nadia, teacher, whistleblowing=True)
    concern = BoundaryConcern.objects.get()
    nadia.sees(
        f"{concern.reference} was passed to the governor for whistleblowing, {governor.full_name}."
    )

    amina = people(governor)
    amina.follow("Needs attention")
    amina.sees(concern.reference)
    amina.open(f"/concerns/{concern.pk}/")
    amina.sees(WORRY, colleague.full_name)
    amina.screenshot("whistleblowing-concern")

    for person in (people(head), people(dsl), people(chair)):
        address = f"/concerns/{concern.pk}/"
        with person.expecting(404, address):
            person.open(address)
        person.follow("Notifications")
        person.does_not_see(concern.reference)

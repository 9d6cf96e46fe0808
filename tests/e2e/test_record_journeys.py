"""Journeys 4 and 5 of issue 8: a prohibited contact stopped, and a disclosure that reaches the
designated safeguarding lead and nobody else."""

from django.utils import timezone

from contacts.concerns.models import BoundaryConcern
from contacts.planned.models import ContactRequest
from contacts.records.models import Disclosure
from tests.e2e.scenes import current_pupil, fill_contact_questions, next_week

FRIEND_REASONS = "Maisie sent me a friend request on Instagram after the school trip."
SELF_REFERRAL = (
    "A pupil in my form, Maisie, sent me a friend request on Instagram. I have not accepted it "
    "and wanted the head to know."
)
ACCOUNT = (
    "Maisie said she is scared to go home because her mum's boyfriend shouts and hits the dog."
)


def test_friending_a_current_pupil_is_stopped_and_a_boundary_concern_offered(people, head, teacher):
    maisie = current_pupil(teacher.school)
    tom = people(teacher)
    tom.follow("New request")
    tom.find_pupil(maisie.full_name)
    fill_contact_questions(
        tom,
        kind="Contact on social media (friending, following or messaging)",
        purpose="Personal: not part of your job",
        on=next_week(),
    )
    tom.field("Time").fill("18:00")
    tom.field("Place").fill("Instagram")

    # Forgetting the reasons: the error is announced next to the field it is about.
    tom.click("Send for a decision")
    reasons = tom.field("Reasons")
    summary = tom.page.get_by_role("alert")
    assert "Nothing has been sent yet. Please correct the answers marked below." in (
        summary.inner_text()
    )
    assert reasons.get_attribute("aria-invalid") == "true"
    described = reasons.evaluate(
        "el => (el.getAttribute('aria-describedby') || '').split(' ')"
        ".map(id => document.getElementById(id)?.innerText || '').join(' ')"
    )
    assert "This field is required." in described

    # With the reasons given, the policies still stop it, say why, and offer a concern record.
    reasons.fill(FRIEND_REASONS)
    tom.click("Send for a decision")
    stopped = tom.page.get_by_role("alert")
    tom.sees("What the policies say: Not allowed", "001 §5.2", "Do not connect or chat with pupils")
    assert "do not allow this contact, so it cannot be sent for a decision" in stopped.inner_text()
    assert not ContactRequest.objects.exists()

    tom.click(tom.page.get_by_role("link", name="raise a boundary concern"))
    tom.sees("Raise a boundary concern", "The person it is about never sees it.")
    tom.field("Who is the concern about?").select_option(
        label=f"Myself (self-referral): {teacher.full_name}"
    )
    tom.field("When it happened").fill(timezone.localdate().isoformat())
    tom.field("What happened, or what worries you").fill(SELF_REFERRAL)
    tom.click("Pass it on")
    concern = BoundaryConcern.objects.get()
    tom.sees(f"{concern.reference} was passed to the headteacher, {head.full_name}.", SELF_REFERRAL)
    assert concern.subject == teacher and concern.reporter == teacher


def test_a_disclosure_alerts_the_dsl_and_nobody_else_can_open_it(
    people, school, head, dsl, governor, teacher, support_assistant
):
    lucy = support_assistant
    maisie = current_pupil(school)

    assistant = people(lucy)
    assistant.follow("Records")
    assistant.follow("Record a disclosure")
    assistant.sees("Record a disclosure", "Do not promise to keep it secret.")
    assistant.find_pupil(maisie.full_name)
    assistant.page.get_by_role("radio", name="Child protection").check()
    now = timezone.localtime()
    assistant.field("Date it was said").fill(now.date().isoformat())
    assistant.field("Time it was said").fill(now.strftime("%H:%M"))
    assistant.field("What was said").fill(ACCOUNT)
    assistant.click("Save and alert")
    disclosure = Disclosure.objects.get()
    assistant.sees(f"{disclosure.reference} was recorded.", "Alerted:", dsl.full_name, ACCOUNT)

    # The designated safeguarding lead signs in (with their authenticator) and sees the alert.
    grace = people(dsl)
    grace.follow("Notifications")
    grace.sees(f"A child protection disclosure was recorded ({disclosure.reference}): open it now")
    grace.click(grace.page.get_by_role("link", name=disclosure.reference))
    grace.sees(disclosure.reference, "Maisie Clarke", ACCOUNT, f"recorded by {lucy.full_name}")

    # A governor cannot open it, and neither can a teacher who did not write it: for both, it
    # does not exist.
    address = f"/disclosures/{disclosure.pk}/"
    for person in (people(governor), people(teacher)):
        with person.expecting(404, address):
            person.open(address)
        person.sees("Page not found")
        person.does_not_see("Maisie", ACCOUNT)
        person.open("/disclosures/")
        person.does_not_see(disclosure.reference, ACCOUNT)

"""A disclosure acted on and closed: a teacher records it from the menu; the DSL finds it at the
top of their queue, acknowledges it, adds an action and a referral and closes it with the
reason. Another, left unacknowledged, goes up to the headteacher when its time has passed."""

import datetime as dt

from django.utils import timezone

from contacts.alerts.models import Alert
from contacts.alerts.services import alerts_escalate
from contacts.records.models import Disclosure
from tests.e2e.scenes import current_pupil

ACCOUNT = "Maisie said she does not want to go home tonight because of the shouting."


def _record_disclosure(person, pupil):
    person.follow("Record a disclosure")
    person.find_pupil(pupil.full_name)
    person.page.get_by_role("radio", name="Child protection").check()
    now = timezone.localtime()
    person.field("Date it was said").fill(now.date().isoformat())
    person.field("Time it was said").fill(now.strftime("%H:%M"))
    person.field("What was said").fill(ACCOUNT)
    person.click("Save and alert")


def test_the_dsl_acknowledges_acts_and_closes_a_case(people, school, dsl, teacher):
    maisie = current_pupil(school)
    tom = people(teacher)
    _record_disclosure(tom, maisie)
    disclosure = Disclosure.objects.get()
    alert = Alert.objects.get(disclosure=disclosure)

    grace = people(dsl)
    # The DSL starts on what needs them.
    grace.sees("Needs attention", "New 1", alert.reference, "Child protection")
    grace.follow(alert.reference)
    grace.sees("To be acknowledged by", maisie.full_name)
    grace.click("Acknowledge")
    grace.sees(f"You acknowledged {alert.reference}.", f"Acknowledged by {dsl.full_name}.")

    grace.field("What is to be done").fill("Check in with Maisie at the end of the day.")
    grace.field("Who does it").select_option(label=teacher.full_name)
    grace.field("By when").fill((timezone.localdate() + dt.timedelta(days=1)).isoformat())
    grace.click("Add the action")
    grace.sees("The action was added.", "Check in with Maisie")

    grace.field("Referred to").select_option(label="Children's social care")
    grace.field("Date of the referral").fill(timezone.localdate().isoformat())
    grace.field("Their reference").fill("CSC-2026-114")
    grace.click("Record the referral")
    grace.sees("The referral was recorded.", "CSC-2026-114")
    grace.screenshot("case")

    grace.click("Close it")
    grace.sees("Say why it can be closed.")
    grace.field("Outcome").fill("Referred to children's social care")
    grace.field("Why it can be closed").fill(
        "Social care have taken the referral; support in school."
    )
    grace.click("Close it")
    grace.sees(f"{alert.reference} was closed.", "Social care have taken the referral")
    alert.refresh_from_db()
    assert alert.closed_by == dsl


def test_an_unacknowledged_disclosure_goes_up_to_the_headteacher(
    people, school, head, dsl, teacher
):
    maisie = current_pupil(school)
    tom = people(teacher)
    _record_disclosure(tom, maisie)
    alert = Alert.objects.get()

    # Nobody acknowledges it; the time passes (the school has no deputy DSL).
    assert alerts_escalate(actor=None, now=alert.acknowledge_by + dt.timedelta(minutes=1)) == 1

    helen = people(head)
    helen.follow("Notifications")
    helen.sees(f"{alert.reference} has not been acknowledged in time: it needs you now")
    helen.open("/attention/")
    helen.sees(alert.reference)
    helen.follow(alert.reference)
    helen.sees("Not acknowledged in time: sent to the headteacher.")
    helen.click("Acknowledge")
    helen.sees(f"You acknowledged {alert.reference}.")

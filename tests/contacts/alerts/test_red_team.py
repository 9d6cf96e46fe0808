"""A red-team review of closing the loop (alerts, cases, concern routing, whistleblowing), each
finding as a test of what must hold: nobody learns of a concern about themself or a report sent
by the whistleblowing route, by a page, a count, a notice or an export; every report reaches
someone who may act on it."""

import datetime as dt

from django.urls import reverse

from contacts.alerts.models import Alert, Owner
from contacts.alerts.selectors import alerts_for
from contacts.concerns.selectors import concerns_visible_to
from contacts.people.services import governance_roles_set
from safeguard.audit.selectors import withheld_reporters
from safeguard.core.roles import Role
from tests.factories_records import make_concern
from tests.helpers import sign_in, text


def test_chair_audit_trail_does_not_name_confidential_reporter_of_heads_concern(
    colleague, teacher, head, chair
):
    """withheld_reporters caches is_case_manager by (route, subject is me) and ignores the
    whistleblowing flag: a whistleblowing report the chair keeps (nobody named) makes the
    chair 'case manager' of every route=headteacher concern, so the name of the confidential
    reporter of an ordinary concern (managed by the head, not the chair) is shown to the chair."""
    ordinary = make_concern(colleague, teacher, confidential=True)  # head's, not the chair's
    make_concern(head, teacher, whistleblowing=True)  # newer: iterated first, chair keeps it
    assert ordinary not in concerns_visible_to(chair)
    withheld = withheld_reporters(chair)
    assert withheld.get(("contacts.boundaryconcern", str(ordinary.pk))) == colleague.pk


def test_chair_audit_trail_page_withholds_confidential_reporter(
    client, colleague, teacher, head, chair
):
    ordinary = make_concern(colleague, teacher, confidential=True)
    make_concern(head, teacher, whistleblowing=True)
    sign_in(client, chair)
    page = text(client.get(reverse("audit_trail")))
    rows = page.split("When Who Role Action", 1)[1]  # past the person filter's list of names
    assert ordinary.reference in rows
    assert colleague.full_name not in rows, _ctx(rows, colleague.full_name)


def _ctx(page, needle, width=150):
    i = page.find(needle)
    return page[max(0, i - width) : i + width]


def _export_text(head, staff) -> str:
    from contacts.privacy.subject_access.gather import staff_export

    data = staff_export(actor=head, staff=staff)
    return repr([(t.name, t.rows) for t in data.tables])


def test_heads_export_of_the_whistleblowing_governor_does_not_reveal_a_report(
    colleague, teacher, head, chair, governor
):
    """The head makes subject-access exports; the named governor's notifications table holds
    'A boundary concern was raised (CON-…)' for a report sent by the whistleblowing route."""
    governance_roles_set(
        actor=chair, staff=governor, roles_held=[Role.GOVERNOR, Role.WHISTLEBLOWING_GOVERNOR]
    )
    concern = make_concern(colleague, teacher, whistleblowing=True)
    assert concern not in concerns_visible_to(head)
    assert concern.reference not in _export_text(head, governor)


def test_heads_export_of_the_dsl_does_not_reveal_a_concern_about_the_head(
    colleague, head, dsl, chair
):
    """A concern about the head goes to the chair; the DSL is told 'A boundary concern (CON-…)
    was raised about <head>'. The head's export of the DSL's file carries that notice."""
    concern = make_concern(colleague, head)
    assert concern not in concerns_visible_to(head)
    assert concern.reference not in _export_text(head, dsl)


def _heads_attention(school):
    from django.utils import timezone

    from safeguard.reports.selectors import governors_report, term

    report = governors_report(school=school, period=term(timezone.localdate()), for_head=True)
    return {label: open_ for label, open_, _ in report.attention}


def test_heads_governors_report_does_not_count_a_concern_about_the_head(
    school, colleague, head, dsl, chair
):
    """A concern about the head that could harm a pupil raises a chair's alert and a DSL's
    alert; the head's view drops only the chair's and whistleblowing owners, so the DSL's
    alert about the concern on the head is counted in the head's 'Boundary concerns'."""
    before = _heads_attention(school)["Boundary concerns"]
    concern = make_concern(colleague, head, harm_to_pupils=True)
    assert concern not in concerns_visible_to(head)
    assert sorted(concern.alerts.values_list("owner", flat=True)) == [
        Owner.CHAIR_OF_GOVERNORS,
        Owner.DSL,
    ]
    assert _heads_attention(school)["Boundary concerns"] == before


def test_escalated_to_the_head_while_the_head_is_away_the_deputy_head_can_act(
    teacher, pupil, head, dsl, deputy
):
    """Escalation to 'the headteacher' tells people_for_route(HEADTEACHER): the deputy head too
    while the head is recorded absent. But _reach gives Owner.DSL only to the DSL and the head,
    so the deputy head is told 'it needs you now' and gets a 404 on the alert."""
    from django.utils import timezone

    from contacts.alerts import services
    from contacts.notifications.models import Notification
    from contacts.planned.models import HeadAbsence
    from tests.factories_records import make_disclosure

    case = make_disclosure(teacher, pupil).alerts.get()
    today = timezone.localdate()
    HeadAbsence.objects.create(
        school=head.school, starts_on=today, ends_on=today + dt.timedelta(days=7), created_by=head
    )
    services.alerts_escalate(actor=None, now=case.acknowledge_by + dt.timedelta(minutes=1))
    case.refresh_from_db()
    assert case.escalation_level == 2
    assert Notification.objects.filter(recipient=deputy, message__contains="needs you now").exists()
    assert case in alerts_for(deputy)


def test_the_dsl_team_does_not_read_the_heads_own_records_reported_to_the_chair(
    head, pupil, dsl, chair
):
    """Docs: 'The DSL team also reads the contact records that were reported to the head'. The
    head's own record is reported to the chair; its alert makes it readable by the DSL team."""
    from contacts.records.selectors import records_visible_to
    from tests.factories_records import make_record

    record = make_record(head, [pupil], record_type="ongoing")
    assert record.alerts.get().owner == Owner.CHAIR_OF_GOVERNORS
    assert record not in records_visible_to(dsl)


def test_a_whistleblowing_report_about_the_chair_reaches_someone(colleague, head, chair, governor):
    """Nobody named (the default): the form tells the reporter the chair will see it; a report
    about the chair then has no keeper at all (the chair is excluded as subject) and no alert
    owner: nobody is told and nobody can read or act on it."""
    from contacts.concerns.selectors import case_managers, concern_recipients

    assert chair.full_name in concern_recipients(colleague)["whistleblowing"]
    concern = make_concern(colleague, chair, whistleblowing=True)
    assert list(case_managers(concern)), "nobody manages a whistleblowing report about the chair"


def test_the_chair_cannot_orphan_a_whistleblowing_report_about_themself(
    colleague, head, chair, governor
):
    """The named governor keeps a report about the chair; the chair then takes the role away
    from that governor and the report has no keeper left."""
    from contacts.concerns.selectors import case_managers

    governance_roles_set(
        actor=chair, staff=governor, roles_held=[Role.GOVERNOR, Role.WHISTLEBLOWING_GOVERNOR]
    )
    concern = make_concern(colleague, chair, whistleblowing=True)
    assert list(case_managers(concern)) == [governor]
    governance_roles_set(actor=chair, staff=governor, roles_held=[Role.GOVERNOR])
    # Nobody named and the chair its subject: the school's governors receive it.
    assert list(case_managers(concern)) == [governor]


def test_raised_again_is_not_signed_by_the_requester(teacher, pupil, head):
    """An overdue-outcome alert the head closed is reopened when the requester records a
    concern with the outcome; the reopening and its 'Raised again' entry are signed with the
    requester's name (an alert they may not see), not by the system as alert.raise is."""
    from django.utils import timezone

    from contacts.alerts import services
    from contacts.planned.models import ContactRequest
    from contacts.planned.services import request_complete, request_decide
    from safeguard.audit.models import AuditEvent
    from tests.factories_requests import make_request

    contact = make_request(teacher, [pupil])
    contact = request_decide(
        actor=head, contact_request=contact, decision="approve", expected_version=contact.version
    )
    ContactRequest.objects.filter(pk=contact.pk).update(
        starts_at=timezone.now() - dt.timedelta(days=3)
    )
    services.alerts_escalate(actor=None)
    alert = Alert.objects.get(request=contact)
    services.alert_acknowledge(actor=head, alert=alert)
    services.alert_close(actor=head, alert=alert, outcome="", rationale="Spoke to him.")
    contact.refresh_from_db()
    request_complete(
        actor=teacher,
        contact_request=contact,
        expected_version=contact.version,
        outcome="Went as planned.",
        concerns="The pupil asked to keep in touch by text.",
    )
    reopen = AuditEvent.objects.filter(action="alert.reopen", object_ref=alert.reference).get()
    assert reopen.actor_id != teacher.pk
    assert alert.entries.last().author_id != teacher.pk


def test_a_deputy_dsl_does_not_read_harm_concerns_while_the_dsl_is_active(
    school, colleague, teacher, head, dsl
):
    """Docs: the DSL reads a concern that could harm a pupil; a deputy DSL acts on the DSL's
    alerts only once one has gone up to them (these never escalate) or with no active DSL.
    concerns_visible_to gives every harm concern to the whole DSL_TEAM at once."""
    from tests.conftest import _person

    ddsl = _person(school, "ddsl@test.example", "Deputy DSL", Role.DEPUTY_DSL)
    concern = make_concern(colleague, teacher, harm_to_pupils=True)
    assert concern.alerts.get(owner=Owner.DSL) not in alerts_for(ddsl)
    assert concern not in concerns_visible_to(ddsl)

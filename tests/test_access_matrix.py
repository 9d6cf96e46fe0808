"""Deny by default: every URL of the project, opened by every role, against a hand-written table.

A URL name missing from EXPECTED fails its test, so a new page cannot ship without someone
deciding who may open it.
"""

import datetime as dt
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone

from contacts.alerts import services as alert_services
from contacts.notifications.models import Notification
from contacts.people import services as people_services
from contacts.people.models import Staff
from contacts.people.pupil_picker import FIND_BUTTON, FIND_INPUT
from contacts.planned.models import HeadAbsence
from contacts.privacy import services
from policies import services as policy_services
from safeguard.core.roles import Role
from tests.factories import StaffFactory, StaffRelativeFactory
from tests.factories_records import make_concern, make_disclosure, make_lado, make_record
from tests.factories_requests import make_former_pupil, make_plan, make_request
from tests.helpers import sign_in
from tests.test_views_access import ALL_PATTERNS, _label

ROLES = [
    "anonymous",
    "teacher",
    "colleague",
    "line_manager",
    "head",
    "deputy",
    "assistant",
    "dsl",
    "chair",
    "governor",
    "admin",
    "deactivated",
]
SIGNED_IN = [r for r in ROLES if r not in ("anonymous", "deactivated")]
LOGIN = (302, "login")

# 200, 403, 404, 405; a redirect as (302, "target url name"), or a bare 302 for any target.
Expected = int | tuple[int, str]


def signed_in(default: Expected, **by_role: Expected) -> dict[str, Expected]:
    """A row: anonymous and deactivated users go to log in; `default` for every signed-in
    role unless named."""
    unknown = set(by_role) - set(SIGNED_IN)
    assert not unknown, f"Unknown roles {unknown}"
    return {"anonymous": LOGIN, "deactivated": LOGIN} | dict.fromkeys(SIGNED_IN, default) | by_role


EXPECTED: dict[str, dict[str, Expected]] = {
    # Public pages. A deactivated user is anonymous to Django: the login page is shown again.
    "login": {
        **dict.fromkeys(SIGNED_IN, (302, "home")),
        "anonymous": 200,
        "deactivated": 200,
    },
    "health": dict.fromkeys(ROLES, 200),
    # Help: who does what, and the glossary. Nothing about any school is on them.
    "help": dict.fromkeys(ROLES, 200),
    "glossary": dict.fromkeys(ROLES, 200),
    # Getting in: the forgotten-password pages and an invitation's link are open to anyone who
    # has the link (a bad link is a page saying so); asking for a new invitation is POST only.
    "password_reset": dict.fromkeys(ROLES, 200),
    "password_reset_done": dict.fromkeys(ROLES, 200),
    "password_reset_confirm": dict.fromkeys(ROLES, 200),
    "invitation_accept": dict.fromkeys(ROLES, 200),
    "invitation_renew": dict.fromkeys(ROLES, 405),
    # The people editors send and withdraw invitations (POST only: 405 before any role check).
    "invitation_list": signed_in(403, head=200, admin=200),
    "invitation_send": signed_in(405),
    "invitation_revoke": signed_in(405),
    # Single sign-on's two addresses are public (the provider sends the person back before they
    # are signed in). The suite's installation sets up no provider: each answers 404, as an
    # unknown provider does; tests/safeguard/accounts/test_sso.py covers them set up.
    "openid_connect_login": dict.fromkeys(ROLES, 404),
    "openid_connect_callback": dict.fromkeys(ROLES, 404),
    # Account pages: everyone signed in. Those with an authenticator already (the roles that
    # must use one) are sent from set-up to the two-factor page.
    "confirm_password": signed_in(200),
    "recovery_codes_regenerate": signed_in(405),
    "two_factor": signed_in(200),
    "two_factor_reset": signed_in(405),
    "two_factor_setup": signed_in(
        200,
        **dict.fromkeys(
            ["head", "deputy", "assistant", "dsl", "chair", "admin"], (302, "two_factor")
        ),
    ),
    "two_factor_verify": signed_in(200),
    # require_POST sits above role_required: 405 before any role check.
    "absence_end": signed_in(405),
    "absences": signed_in(403, head=200, chair=200),
    # require_POST above role_required(AUDIT_READERS): 405 for everyone signed in.
    "audit_check": signed_in(405),
    "audit_export": signed_in(403, head=200, chair=200),
    # Proving the chain extends a kept checkpoint: the audit trail's readers; the signing key's
    # public half is published to anyone.
    "audit_checkpoint_check": signed_in(403, head=200, chair=200),
    "audit_public_key": dict.fromkeys(ROLES, 200),
    "audit_trail": signed_in(403, head=200, chair=200),
    # Reporter (colleague) and case manager; the deputy acts as head during the
    # HeadAbsence in `world`. Never the subject (teacher).
    "concern_detail": signed_in(404, colleague=200, head=200, deputy=200),
    "concern_list": signed_in(200),
    "concern_new": signed_in(200),
    "concern_respond": signed_in(405),
    # Case managers only (head, deputy, chair); the subject (the teacher) never reaches it.
    "concern_subject": signed_in(403, head=200, deputy=200, chair=200),
    "contact_check": signed_in(200),
    "dashboard": signed_in(403, head=200, deputy=200, assistant=200, dsl=200, admin=200),
    "decision_queue": signed_in(403, head=200, deputy=200, assistant=200, chair=200),
    "disclosure_addendum": signed_in(405),
    "disclosure_detail": signed_in(404, teacher=200, head=200, deputy=200, dsl=200),
    "disclosure_list": signed_in(200),
    "disclosure_new": signed_in(200),
    # The chair of governors alone keeps the governance roles and the head's and governors'
    # accounts; the actions are POST only (require_POST above role_required).
    "governance": signed_in(403, chair=200),
    "governance_active": signed_in(405),
    "governance_email": signed_in(405),
    "governance_whistleblowing": signed_in(405),
    "governance_governor_give": signed_in(405),
    "governance_governor_remove": signed_in(405),
    "governance_two_factor_reset": signed_in(405),
    "governors_report": signed_in(403, head=200, chair=200, governor=200),
    "governors_report_csv": signed_in(403, head=200, chair=200, governor=200),
    "governors_report_download": signed_in(403, head=200, chair=200, governor=200),
    "governors_report_pdf": signed_in(403, head=200, chair=200, governor=200),
    "home": signed_in(
        (302, "dashboard"),
        teacher=(302, "my_requests"),
        colleague=(302, "my_requests"),
        line_manager=(302, "my_requests"),
        chair=(302, "decision_queue"),
        governor=(302, "governors_report"),
        dsl=(302, "attention_queue"),
    ),
    # Needs attention: the owners' queue; an alert (the world's disclosure's, the DSL's case) to
    # the DSL and the head only, everyone else as if it did not exist. Its forms are POST only.
    "attention_queue": signed_in(403, head=200, deputy=200, assistant=200, dsl=200, chair=200),
    "alert_detail": signed_in(404, head=200, dsl=200),
    "alert_acknowledge": signed_in(405),
    "alert_note": signed_in(405),
    "alert_close": signed_in(405),
    "alert_reopen": signed_in(405),
    "case_action_add": signed_in(405),
    "case_action_done": signed_in(405),
    "case_referral_add": signed_in(405),
    "case_referral_respond": signed_in(405),
    "lado_detail": signed_in(403, head=200, dsl=200, chair=200),
    "lado_list": signed_in(403, head=200, dsl=200, chair=200),
    "lado_new": signed_in(403, head=200, dsl=200, chair=200),
    # require_POST above role_required(LADO_RECORDERS).
    "lado_outcome": signed_in(405),
    # require_POST above role_required(HEADTEACHER).
    "legal_hold_lift": signed_in(405),
    # Legal holds are the headteacher's alone: nobody else learns that one exists.
    "legal_holds": signed_in(403, head=200),
    # Django 5 logs out on POST only.
    # Signing out is a POST, open to a session that has already ended (it then just goes to
    # sign in): a GET is the 405 page for everyone.
    "logout": dict.fromkeys(ROLES, 405),
    "monitoring_queue": signed_in(403, line_manager=200, head=200),
    "my_requests": signed_in(200),
    # Only the recipient; it redirects to the notice's url ("/" = home).
    "notification_open": signed_in(404, teacher=(302, "home")),
    "notifications": signed_in(200),
    "parent_add": signed_in(403, head=200, admin=200),
    "people_import": signed_in(403, head=200, admin=200),
    "policy_acknowledge": signed_in(405),
    "policy_create": signed_in(403, head=200, admin=200),
    "policy_detail": signed_in(200),
    # The version in `world` is text only: no document to serve.
    "policy_document": signed_in(404),
    "policy_edit": signed_in(403, head=200, admin=200),
    "policy_list": signed_in(200),
    # require_POST above role_required(POLICY_SIGNATORIES).
    "policy_sign": signed_in(405),
    "policy_version_add": signed_in(403, head=200, admin=200),
    "pupil_create": signed_in(403, head=200, admin=200),
    "pupil_detail": signed_in(403, head=200, deputy=200, assistant=200, dsl=200, admin=200),
    # Printing a file: whoever may open it, and no one else.
    "pupil_print": signed_in(403, head=200, deputy=200, assistant=200, dsl=200, admin=200),
    "pupil_edit": signed_in(403, head=200, admin=200),
    "pupil_list": signed_in(403, head=200, deputy=200, assistant=200, dsl=200, admin=200),
    # The headteacher alone; the download is require_POST above role_required.
    "pupil_subject_access": signed_in(403, head=200),
    "pupil_subject_access_download": signed_in(405),
    "record_addendum": signed_in(405),
    # The record in `world` has no attachment: 404 after the visibility check.
    "record_attachment": signed_in(404),
    # The line manager monitors approved contact only, never the team's records.
    "record_detail": signed_in(
        200, colleague=404, line_manager=404, dsl=404, chair=404, governor=404, admin=404
    ),
    # Printing it: whoever may open it, as it is.
    "record_print": signed_in(
        200, colleague=404, line_manager=404, dsl=404, chair=404, governor=404, admin=404
    ),
    "record_list": signed_in(200),
    "record_new": signed_in(200),
    "record_new_type": signed_in(200),
    # Own page: the teacher may add a relative; otherwise PEOPLE_EDITORS (403) among
    # those who can see the member of staff (404 for the rest).
    "relative_add": signed_in(
        403, teacher=200, colleague=404, head=200, chair=404, governor=404, admin=200
    ),
    "relative_end": signed_in(405),
    "colleague_declare": signed_in(405),
    "colleague_end": signed_in(405),
    "relative_review": signed_in(405),
    # require_POST above role_required(RELATIVE_ACKNOWLEDGERS).
    "relative_acknowledge": signed_in(405),
    "relative_decline": signed_in(405),
    # Declared relatives waiting for acknowledgement: the head's, the chair's (the head's own).
    "relatives_awaiting": signed_in(403, head=200, chair=200),
    "request_cancel": signed_in(405),
    "request_complete": signed_in(405),
    "request_decide": signed_in(405),
    # The request in `world` waits for a decision: not yet the line manager's to monitor.
    "request_detail": signed_in(
        200, colleague=404, line_manager=404, dsl=404, chair=404, governor=404, admin=404
    ),
    # Printing it: whoever may open it, as it is.
    "request_print": signed_in(
        200, colleague=404, line_manager=404, dsl=404, chair=404, governor=404, admin=404
    ),
    # Only the requester; a submitted request sends them back to its page.
    "request_edit": signed_in(
        404, teacher=(302, "request_detail"), head=403, deputy=403, assistant=403
    ),
    "request_new": signed_in(200),
    "request_note": signed_in(405),
    "request_refer": signed_in(405),
    "request_review": signed_in(405),
    # The world's plan of involvement, approved: its requester (the teacher) logs sessions; the
    # head, and the deputy acting for the head away in `world`, review it. Those who see it and
    # may not act on it are refused (403); nobody else learns it exists.
    "request_session": signed_in(
        404, teacher=200, head=403, deputy=403, assistant=403, line_manager=403
    ),
    "request_plan_review": signed_in(
        404, teacher=403, head=200, deputy=200, assistant=403, line_manager=403
    ),
    "request_withdraw": signed_in(405),
    # require_POST above role_required(DISCLOSURE_REVIEWERS).
    "retention_review": signed_in(405),
    # Disclosures at the end of their retention period: the DSL and the headteacher decide.
    "retention_reviews": signed_in(403, head=200, dsl=200),
    "school_settings": signed_in(403, head=200),
    "sign_in_methods": signed_in(403, head=200, admin=200),
    # require_POST above role_required(PEOPLE_EDITORS).
    "staff_active": signed_in(405),
    "staff_create": signed_in(403, head=200, admin=200),
    "staff_detail": signed_in(200, colleague=404, chair=404, governor=404),
    "staff_print": signed_in(200, colleague=404, chair=404, governor=404),
    "staff_edit": signed_in(403, head=200, admin=200),
    "staff_list": signed_in(403, head=200, deputy=200, assistant=200, dsl=200, admin=200),
    # One adult's pattern (here the teacher's): the head and the DSL; the chair only for the
    # headteacher's (404 for anyone else's); never the adult (403 by role here).
    "staff_pattern": signed_in(403, head=200, dsl=200, chair=404),
    "staff_subject_access": signed_in(403, head=200),
    "staff_subject_access_download": signed_in(405),
}


@pytest.fixture
def world(
    school,
    head,
    deputy,
    assistant,
    dsl,
    chair,
    governor,
    admin,
    line_manager,
    teacher,
    colleague,
    pupil,
):
    today = timezone.localdate()
    policy = policy_services.policy_create(
        actor=head,
        school=school,
        title="Safer working practice",
        owner_role=Role.HEADTEACHER,
        summary="Keep clear professional boundaries with pupils.",
        clauses=["work_contact.approval"],
        last_reviewed=today - dt.timedelta(days=10),
        next_review=today + dt.timedelta(days=355),
        text="Staff keep clear professional boundaries.",
    )
    version = policy_services.policy_version_sign(actor=head, version=policy.versions.get())
    version = policy_services.policy_version_sign(actor=chair, version=version)
    # A second policy, whose first version awaits the head's and the chair's signatures.
    pending = policy_services.policy_create(
        actor=head,
        school=school,
        title="Lettings",
        owner_role=Role.HEADTEACHER,
        summary="Who may use the school's rooms.",
        last_reviewed=today - dt.timedelta(days=10),
        next_review=today + dt.timedelta(days=355),
        text="Rooms are let through the office.",
    ).versions.get()
    objects = {
        "staff": teacher,
        "pupil": pupil,
        "relative": StaffRelativeFactory(staff=teacher, pupil=pupil),
        # An acknowledged declaration due for its yearly review.
        "standing": StaffRelativeFactory(
            staff=colleague,
            pupil=pupil,
            relationship="neighbour",
            contact="Lifts to football on Saturdays.",
            contact_kinds=["transport"],
            acknowledged=True,
            review_due=today,
        ),
        "request": make_request(teacher, [pupil]),
        "plan": make_plan(teacher, [make_former_pupil(school)], approve_as=head),
        "record": make_record(teacher, [pupil]),
        "disclosure": make_disclosure(teacher, pupil),
        "concern": make_concern(colleague, teacher),
        "lado": make_lado(head, teacher),
        "hold": services.legal_hold_place(
            actor=head, staff=colleague, reason="A claim has been made: keep everything."
        ),
        "policy": policy,
        "version": version,
        "pending": pending,
        "absence": HeadAbsence.objects.create(
            school=school, starts_on=today, ends_on=today + dt.timedelta(days=2), created_by=head
        ),
        "notification": Notification.objects.create(
            recipient=teacher, message="Something", url="/"
        ),
    }
    case = alert_services.alert_acknowledge(actor=dsl, alert=objects["disclosure"].alerts.get())
    objects["alert"] = case
    objects["case_action"] = alert_services.case_action_add(
        actor=dsl,
        alert=case,
        description="Speak to the pupil's form tutor.",
        assigned_to=teacher,
        due_on=today + dt.timedelta(days=2),
    )
    objects["case_referral"] = alert_services.case_referral_add(
        actor=dsl, alert=case, agency="early_help", referred_on=today
    )
    objects["colleagues"] = people_services.colleague_relationship_declare(
        actor=teacher, staff=teacher, colleague=colleague, kind="relative"
    )
    newcomer = StaffFactory(school=school, email="newcomer@test.example", password=None)
    newcomer.set_unusable_password()
    newcomer.save()
    link = people_services.invitation_send(actor=admin, staff=newcomer)
    objects["invitation"] = newcomer.invitations.get()
    objects["invitation_token"] = link.rstrip("/").rsplit("/", 1)[-1]
    return objects


def _kwargs(name, world):
    by_object = {
        "staff": [
            "staff_detail",
            "staff_print",
            "staff_edit",
            "staff_pattern",
            "staff_active",
            "relative_add",
            "colleague_declare",
            "two_factor_reset",
            "governance_active",
            "governance_email",
            "governance_whistleblowing",
            "governance_governor_remove",
            "governance_two_factor_reset",
            "staff_subject_access",
            "staff_subject_access_download",
            "invitation_send",
        ],
        "relative": [
            "relative_end",
            "relative_review",
            "relative_acknowledge",
            "relative_decline",
        ],
        "pupil": [
            "pupil_detail",
            "pupil_print",
            "pupil_edit",
            "parent_add",
            "pupil_subject_access",
            "pupil_subject_access_download",
        ],
        "absence": ["absence_end"],
        "notification": ["notification_open"],
        "record": ["record_detail", "record_print", "record_attachment", "record_addendum"],
        "disclosure": ["disclosure_detail", "disclosure_addendum", "retention_review"],
        "hold": ["legal_hold_lift"],
        "concern": ["concern_detail", "concern_respond"],
        "lado": ["lado_detail", "lado_outcome"],
        "policy": ["policy_detail", "policy_edit", "policy_version_add"],
        "version": ["policy_acknowledge", "policy_document"],
        "pending": ["policy_sign"],
        "invitation": ["invitation_revoke"],
        "alert": [
            "alert_detail",
            "alert_acknowledge",
            "alert_note",
            "alert_close",
            "alert_reopen",
            "case_action_add",
            "case_referral_add",
        ],
    }
    if name in ("request_session", "request_plan_review"):
        return {"pk": world["plan"].pk}
    if name.startswith("request_") and name != "request_new":
        return {"pk": world["request"].pk}
    for key, names in by_object.items():
        if name in names:
            return {"pk": world[key].pk}
    return {
        "concern_subject": {"staff_pk": world["staff"].pk},
        "record_new_type": {"record_type": "unplanned"},
        "governors_report_csv": {"table": "concerns"},
        "invitation_accept": {"token": world["invitation_token"]},
        "case_action_done": {"pk": world["alert"].pk, "action_pk": world["case_action"].pk},
        "colleague_end": {
            "pk": world["staff"].pk,
            "relationship_pk": world["colleagues"].pk,
        },
        "case_referral_respond": {
            "pk": world["alert"].pk,
            "referral_pk": world["case_referral"].pk,
        },
        "invitation_renew": {"token": world["invitation_token"]},
        "password_reset_confirm": {"uidb64": "MQ", "token": "not-a-token"},
        "openid_connect_login": {"provider_id": "microsoft"},
        "openid_connect_callback": {"provider_id": "microsoft"},
    }.get(name, {})


@pytest.fixture
def clients(request, world, school):
    made = {"anonymous": Client()}
    for role in SIGNED_IN:
        made[role] = Client()
        sign_in(made[role], request.getfixturevalue(role))
    leaver = StaffFactory(school=school, email="leaver@test.example", job_title="Teacher")
    made["deactivated"] = Client()
    sign_in(made["deactivated"], leaver)
    Staff.objects.filter(pk=leaver.pk).update(is_active=False)
    return made


def _observed(response):
    if response.status_code in (301, 302):
        try:
            return (302, resolve(urlsplit(response["Location"]).path).url_name)
        except Resolver404:
            return (302, response["Location"])
    return response.status_code


def _matches(expected: Expected, got: Expected) -> bool:
    if expected == 302:
        return isinstance(got, tuple) and got[0] == 302
    return expected == got


def test_expected_names_only_real_urls_and_every_role():
    names = {name for _, name, _ in ALL_PATTERNS}
    assert set(EXPECTED) - names == set(), "stale names in EXPECTED"
    for name, row in EXPECTED.items():
        assert set(row) == set(ROLES), f"{name}: row must give every role"


@pytest.mark.parametrize("item", ALL_PATTERNS, ids=_label)
def test_access(item, world, clients):
    _, name, _ = item
    assert name, f"Unnamed URL pattern {_label(item)}: name it and add it to EXPECTED"
    url = reverse(name, kwargs=_kwargs(name, world))
    assert name in EXPECTED, f"{name} ({url}) is not in the access matrix: add it to EXPECTED"
    mismatches = []
    for role in ROLES:
        response = clients[role].get(url)
        got = _observed(response)
        if not response.streaming and FIND_BUTTON.encode() in response.content:
            assert name in FIND_SHOWN, f"{name} has a pupil picker: add it to FIND_SHOWN"
        if not _matches(EXPECTED[name][role], got):
            mismatches.append((role, EXPECTED[name][role], got))
    if mismatches:
        lines = [f"{'role':<14}{'expected':<28}got"]
        lines += [f"{r:<14}{e!s:<28}{g}" for r, e, g in mismatches]
        pytest.fail(f"GET {url} ({name}):\n" + "\n".join(lines), pytrace=False)


# Every form with a pupil picker, and who is shown pupils' names by its Find: whoever may use the
# form and name pupils. Governors, who never see pupils' names, are shown none anywhere.
PUPIL_NAMERS = {r for r in SIGNED_IN if r not in ("chair", "governor")}
FIND_SHOWN: dict[str, set[str]] = {
    "contact_check": PUPIL_NAMERS,
    "request_new": PUPIL_NAMERS,
    # A draft, which only its requester may edit.
    "request_edit": {"teacher"},
    "record_new_type": PUPIL_NAMERS,
    "disclosure_new": PUPIL_NAMERS,
    # On the teacher's own page: the teacher and the people editors.
    "relative_add": {"teacher", "head", "admin"},
    "legal_holds": {"head"},
}


@pytest.mark.parametrize("name", sorted(FIND_SHOWN))
def test_each_forms_find_shows_pupils_names_only_to_those_who_may_name_them(
    name, world, clients, teacher
):
    """Finding 5: a governor's two-letter Find listed pupils' names, year groups and leaving
    years. Each form's Find, posted as every role, names the pupil only to those who may."""
    kwargs = _kwargs(name, world)
    if name == "request_edit":
        kwargs = {"pk": make_request(teacher, [world["pupil"]], submit=False).pk}
    url = reverse(name, kwargs=kwargs)
    pupil = world["pupil"]
    leaks = []
    for role in ROLES:
        response = clients[role].post(url, {FIND_INPUT: pupil.last_name[:2], FIND_BUTTON: "1"})
        named = pupil.full_name in response.content.decode()
        if named != (role in FIND_SHOWN[name]):
            leaks.append(f"{role}: {response.status_code}, name {'shown' if named else 'absent'}")
    assert not leaks, f"POST Find to {url}:\n" + "\n".join(leaks)

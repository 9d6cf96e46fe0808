"""seed_bench: a tiny benchmark school, checked against the rules the services keep."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, F, Q
from django.utils import timezone

from bench.data import BENCH_DOMAIN, BENCH_PASSWORD, BENCH_SCHOOL, scale_for
from contacts.concerns.models import BoundaryConcern, LadoReferral
from contacts.notifications.models import Notification
from contacts.people.models import Pupil, Staff, StaffRelative
from contacts.planned.models import TRANSITIONS, ContactRequest, HeadAbsence, RequestNote, Status
from contacts.planned.services import request_assess
from contacts.records.models import ContactRecord, Disclosure, RecordType
from policies.facts import assess_contact
from safeguard.audit.models import AuditEvent
from safeguard.core.models import School
from safeguard.core.roles import Role

TINY = 0.002  # 30 staff, 60 pupils, 200 requests, 400 records: about 3,000 audit events
DECIDED = (Status.APPROVED, Status.REJECTED, Status.COMPLETED, Status.CANCELLED)
ACTIONS = {"approve", "reject", "ask", "submit", "withdraw", "complete", "cancel"}


def seed(*extra: str) -> str:
    out = StringIO()
    call_command("seed_bench", "--fraction", str(TINY), *extra, stdout=out)
    return out.getvalue()


@pytest.fixture
def bench(db):
    output = seed()
    return School.objects.get(name=BENCH_SCHOOL), output


def fingerprint(school: School) -> list:
    requests = ContactRequest.objects.filter(school=school).order_by("pk")
    pupils = Pupil.objects.filter(school=school).order_by("pk")
    return [
        list(requests.values_list("status", "kind", "verdict", "starts_at", "submitted_at")),
        list(pupils.values_list("last_name", "admission_date")),
        AuditEvent.objects.filter(school=school).count(),
    ]


def test_it_makes_the_sizes_asked_for_and_says_so(bench):
    school, output = bench
    scale = scale_for(fraction=TINY)
    assert Staff.objects.filter(school=school).count() == scale.staff
    pupils = Pupil.objects.filter(school=school)
    assert pupils.current().count() == scale.current_pupils + 1  # and the pupil with many entries
    assert pupils.former().count() == scale.former_pupils
    assert ContactRequest.objects.filter(school=school).count() == scale.requests
    after_the_fact = sum(
        model.objects.filter(school=school).count()
        for model in (ContactRecord, Disclosure, BoundaryConcern, LadoReferral)
    )
    assert after_the_fact == scale.records
    assert AuditEvent.objects.filter(school=school).count() > scale.requests * 4
    assert Notification.objects.filter(recipient__school=school).exists()
    assert HeadAbsence.objects.filter(school=school).exists()
    # What the benchmark needs is printed: the pupil with many entries, the busy requester.
    focus = pupils.get(first_name="Riley", last_name="Featherstone")
    entries = (
        focus.contact_requests.count() + focus.contact_records.count() + focus.disclosures.count()
    )
    assert entries >= 40
    assert f"pupil id {focus.pk}): {entries:,} requests, records and disclosures" in output
    busy = Staff.objects.get(email=f"coach@{BENCH_DOMAIN}")
    busiest = (
        ContactRequest.objects.filter(school=school)
        .values("requester")
        .annotate(n=Count("id"))
        .order_by("-n")[0]
    )
    assert busiest["requester"] == busy.pk
    assert f"coach@{BENCH_DOMAIN} (staff id {busy.pk}): {busiest['n']:,} requests" in output
    assert BENCH_PASSWORD in output
    assert Staff.objects.get(email=f"head@{BENCH_DOMAIN}").check_password(BENCH_PASSWORD)


def test_the_small_scale_is_a_hundredth_of_large(db):
    call_command("seed_bench", "--scale", "small", stdout=StringIO())
    school = School.objects.get(name=BENCH_SCHOOL)
    assert ContactRequest.objects.filter(school=school).count() == 1_000
    assert ContactRecord.objects.filter(school=school).count() == 1_880
    assert Disclosure.objects.filter(school=school).count() == 110
    assert Pupil.objects.filter(school=school).count() == 20 + 1 + 150
    assert 9_000 < AuditEvent.objects.filter(school=school).count() < 12_000
    call_command("verify_audit", stdout=StringIO())


def test_every_request_state_and_record_type_is_there(bench):
    school, _ = bench
    requests = ContactRequest.objects.filter(school=school)
    assert set(requests.values_list("status", flat=True)) == set(Status.values)
    types = set(ContactRecord.objects.filter(school=school).values_list("record_type", flat=True))
    assert types == set(RecordType.values)
    assert Disclosure.objects.filter(school=school).exists()
    assert LadoReferral.objects.filter(school=school).exists()
    assert BoundaryConcern.objects.filter(school=school, closed_at__isnull=False).exists()


def test_requests_keep_the_workflow_rules(bench):
    school, _ = bench
    requests = ContactRequest.objects.filter(school=school)
    decided = requests.filter(status__in=DECIDED)
    assert decided.exists()
    assert not decided.filter(Q(decided_by=None) | Q(decided_at=None) | Q(decided_as="")).exists()
    assert not requests.exclude(status__in=DECIDED).exclude(decided_by=None).exists()
    assert not requests.filter(status=Status.REJECTED, decision_reason="").exists()
    approved = requests.filter(status__in=[Status.APPROVED, Status.COMPLETED])
    assert approved.exclude(conditions="").exists()
    completed = requests.filter(status=Status.COMPLETED)
    assert not completed.filter(Q(outcome="") | Q(completed_at=None)).exists()
    assert not completed.filter(completed_at__lt=F("starts_at")).exists()
    assert not requests.filter(decided_by=F("requester")).exists()
    assert not requests.filter(decided_at__lt=F("submitted_at")).exists()
    assert not requests.filter(starts_at__lte=F("submitted_at")).exists()
    assert not requests.exclude(status=Status.DRAFT).filter(submitted_at=None).exists()
    # Only what needs approval was ever submitted.
    assert set(requests.exclude(status=Status.DRAFT).values_list("verdict", flat=True)) == {
        "needs_approval"
    }
    # The head's own requests go to the chair, who decides them.
    head = Staff.objects.get(email=f"head@{BENCH_DOMAIN}")
    own = requests.filter(requester=head)
    assert not own.exclude(route="chair_of_governors").exists()
    assert (
        not own.filter(decided_by__isnull=False)
        .exclude(decided_by__role_assignments__role=Role.CHAIR_OF_GOVERNORS)
        .exists()
    )
    # The deputy decides only while the headteacher is recorded absent.
    absences = list(HeadAbsence.objects.filter(school=school).values_list("starts_on", "ends_on"))
    for decided_at in requests.filter(decided_by__email=f"deputy@{BENCH_DOMAIN}").values_list(
        "decided_at", flat=True
    ):
        day = timezone.localtime(decided_at).date()
        assert any(start <= day <= end for start, end in absences)
    # Reviews are the requester's line manager's.
    reviewed = requests.exclude(reviewed_by=None)
    assert reviewed.exists()
    assert not reviewed.exclude(reviewed_by=F("requester__line_manager")).exists()
    assert not requests.annotate(n=Count("pupils")).filter(n=0).exists()
    assert RequestNote.objects.filter(request__school=school).exists()


def test_each_request_got_where_it_is_along_the_declared_transitions(bench):
    school, _ = bench
    events: dict[str, list] = {}
    rows = AuditEvent.objects.filter(school=school, object_type="contacts.contactrequest").order_by(
        "id"
    )
    for object_id, action, from_state, to_state in rows.values_list(
        "object_id", "action", "from_state", "to_state"
    ):
        events.setdefault(object_id, []).append((action.split(".", 1)[1], from_state, to_state))
    requests = ContactRequest.objects.filter(school=school)
    assert len(events) == requests.count()
    for request in requests:
        state, steps = "", 0
        for action, from_state, to_state in events[str(request.pk)]:
            if action == "create":
                assert (state, to_state) == ("", Status.DRAFT)
                state = Status.DRAFT
            elif action in ("edit", "refer"):
                assert from_state == to_state == state
                steps += 1
            elif action in ACTIONS:
                assert from_state == state
                assert TRANSITIONS[(state, action)] == to_state
                state, steps = to_state, steps + 1
        assert state == request.status, request.reference
        assert request.version == 1 + steps, request.reference


def test_assessments_are_the_rules_engines(bench):
    school, _ = bench
    requests = ContactRequest.objects.filter(school=school).select_related("requester__school")
    for request in requests.prefetch_related("pupils").order_by("pk")[:60]:
        assert request_assess(request).verdict == request.verdict, request.reference
    records = ContactRecord.objects.filter(school=school).select_related("author__school")
    for record in records.prefetch_related("pupils").order_by("pk")[:80]:
        assessment = assess_contact(
            requester=record.author,
            pupils=list(record.pupils.all()),
            with_family_only=record.with_family_only,
            on=timezone.localtime(record.occurred_at).date(),
            kind=record.kind,
            purpose=record.purpose,
            planned=False,
            school_channel=record.school_channel,
        )
        assert assessment.verdict == record.verdict, record.reference
        assert sorted(assessment.actions) == record.actions


def test_rows_pass_model_validation(bench):
    school, _ = bench
    samples = [
        Staff.objects.filter(school=school),
        Pupil.objects.filter(school=school),
        ContactRequest.objects.filter(school=school),
        ContactRecord.objects.filter(school=school),
        Disclosure.objects.filter(school=school),
        BoundaryConcern.objects.filter(school=school),
        LadoReferral.objects.filter(school=school),
        RequestNote.objects.filter(request__school=school),
        Notification.objects.filter(recipient__school=school),
    ]
    for rows in samples:
        for row in rows.order_by("?")[:15]:
            row.full_clean()


def test_records_after_the_fact_are_consistent(bench):
    school, _ = bench
    concerns = BoundaryConcern.objects.filter(school=school)
    closed = concerns.exclude(closed_at=None)
    assert not closed.filter(outcome="").exists()
    assert not closed.filter(closed_by=F("subject")).exists()
    head = Staff.objects.get(email=f"head@{BENCH_DOMAIN}")
    assert not concerns.filter(subject=head).exclude(route="chair_of_governors").exists()
    lado = LadoReferral.objects.filter(school=school)
    assert not lado.filter(recorded_by=F("subject")).exists()
    assert not lado.exclude(outcome="").filter(referral_type="consultation").exists()
    assert not lado.filter(outcome_on__lt=F("contacted_at__date")).exists()
    assert not ContactRecord.objects.filter(school=school, created_at__lt=F("occurred_at")).exists()


def test_the_audit_chain_is_valid_and_follows_time(bench):
    school, _ = bench
    out = StringIO()
    call_command("verify_audit", stdout=out)
    assert "intact" in out.getvalue()
    events = AuditEvent.objects.filter(school=school).order_by("id")
    times = list(events.values_list("created_at", flat=True))
    assert times == sorted(times)
    assert times[-1] <= timezone.now()
    counts = dict(events.order_by().values_list("action").annotate(n=Count("id")))
    requests = ContactRequest.objects.filter(school=school)
    assert counts["request.create"] == requests.count()
    assert counts["record.create"] == ContactRecord.objects.filter(school=school).count()
    assert counts["disclosure.create"] == Disclosure.objects.filter(school=school).count()
    assert (
        counts["request.approve"]
        == requests.filter(decided_at__isnull=False).exclude(status=Status.REJECTED).count()
    )
    assert counts["view"] > 0
    assert not events.filter(actor=None).exclude(actor_role="system").exists()


def test_running_again_is_refused_without_replace(bench):
    school, _ = bench
    before = fingerprint(school)
    with pytest.raises(CommandError, match="--replace"):
        seed()
    assert School.objects.filter(name=BENCH_SCHOOL).count() == 1
    assert fingerprint(school) == before


def test_replace_makes_the_same_school_again_and_retires_the_old_one(bench):
    old, _ = bench
    before = fingerprint(old)
    output = seed("--replace")
    assert "Replaced the earlier" in output
    new = School.objects.get(name=BENCH_SCHOOL)
    assert new.pk != old.pk
    old.refresh_from_db()
    assert old.name.startswith(f"{BENCH_SCHOOL} (replaced ")
    assert not ContactRequest.objects.filter(school=old).exists()
    assert not Pupil.objects.filter(school=old).exists()
    retired = Staff.objects.filter(school=old)
    assert retired.exists()
    assert not retired.filter(is_active=True).exists()
    assert not retired.exclude(email__startswith=f"replaced-{old.pk}-").exists()
    # The old school's events stay (append-only), and one more says what happened.
    assert AuditEvent.objects.filter(school=old, action="bench.replace").count() == 1
    assert before[:2] == fingerprint(new)[:2]  # the same seed on the same day
    call_command("verify_audit", stdout=StringIO())


def test_relatives_are_declared_by_their_staff_and_acknowledged_by_the_head_after(bench):
    school, _ = bench
    relatives = StaffRelative.objects.filter(staff__school=school)
    head = Staff.objects.get(email=f"head@{BENCH_DOMAIN}")
    assert relatives.exists()
    assert not relatives.exclude(declared_by=F("staff")).exists()
    assert not relatives.exclude(acknowledged_by=head).exists()
    assert not relatives.filter(acknowledged_at__lt=F("created_at")).exists()
    for relative in relatives:
        relative.full_clean()
    acknowledged = AuditEvent.objects.filter(school=school, action="relative.acknowledge")
    assert acknowledged.count() == relatives.count()
    assert not acknowledged.exclude(actor=head).exists()


def test_many_schools_of_a_mix_of_sizes_each_with_its_own_valid_chain(db):
    out = StringIO()
    call_command("seed_bench", "--schools", "3", stdout=out)
    schools = list(School.objects.filter(name__startswith="Benchmark School ").order_by("name"))
    assert [s.name for s in schools] == [
        "Benchmark School 001",
        "Benchmark School 002",
        "Benchmark School 003",
    ]
    requests = [ContactRequest.objects.filter(requester__school=s).count() for s in schools]
    assert requests[2] > 2 * requests[0]  # the third is a middle-sized school, the first small
    assert Staff.objects.filter(email="head@s002.benchmark.example", school=schools[1]).exists()
    assert "Made 3 schools" in out.getvalue()
    out = StringIO()
    call_command("verify_audit", stdout=out)
    assert "in 3 school chains" in out.getvalue()
    # Again: the schools there are kept, nothing is made twice.
    out = StringIO()
    call_command("seed_bench", "--schools", "3", stdout=out)
    assert "Made 0 schools (0 audit events); 3 were there already." in out.getvalue()

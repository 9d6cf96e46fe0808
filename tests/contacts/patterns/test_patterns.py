"""The facts gathered from the models, the pattern view and the dashboard's "Worth a look": who
may open it, the audit view event, restricted entries, pupils' names, the query count."""

import dataclasses
import datetime as dt
import random

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from contacts.alerts import services as alerts_services
from contacts.patterns import facts as pattern_facts
from contacts.patterns import selectors as pattern_selectors
from contacts.patterns.rules import flags_for
from contacts.patterns.selectors import adults_patterned_by, may_open_pattern, worth_a_look
from contacts.patterns.services import PATTERN_TYPE
from contacts.people import services as people_services
from contacts.planned import services as planned_services
from contacts.planned.models import ContactRequest
from contacts.records.models import ContactRecord
from safeguard import views
from safeguard.audit.models import AuditEvent
from safeguard.audit.selectors import audit_events_for, kept_panels
from safeguard.audit.services import audit_record
from safeguard.core.roles import Role
from tests.factories import PupilFactory, StaffFactory
from tests.factories_records import (
    make_concern,
    make_disclosure,
    make_family_record,
    make_lado,
    make_record,
    past,
)
from tests.factories_requests import make_request
from tests.helpers import sign_in, text

GIVEN = {"record_type": "gift", "kind": "gift", "purpose": "personal", "direction": "given"}


def chance_meetings(adult, pupil, days=(40, 20, 3)):
    return [make_record(adult, [pupil], occurred_at=past(d)) for d in days]


def gifts(adult, pupil, days=(30, 10)):
    return [
        make_record(adult, [pupil], occurred_at=past(d), details="A book.", **GIVEN) for d in days
    ]


def url(adult):
    return reverse("staff_pattern", args=[adult.pk])


# --- facts -----------------------------------------------------------------------------------


def test_the_facts_of_each_kind_with_their_pupils_and_details(head, teacher, pupil, colleague):
    meeting = make_record(teacher, [pupil])
    given = make_record(teacher, [pupil], details="A book.", **GIVEN)
    received = make_record(teacher, [pupil], **(GIVEN | {"direction": "received"}))
    request = make_request(teacher, [pupil])
    concern = make_concern(colleague, teacher, related_record=meeting)
    disclosure = make_disclosure(teacher, pupil)
    lado = make_lado(head, teacher, concern=concern)
    facts = {f.entry.key: f.entry for f in pattern_facts.facts_of(head, teacher)}
    assert facts[f"record:{meeting.pk}"].details == {"contact", "unplanned"}
    assert facts[f"record:{meeting.pk}"].pupils == {pupil.pk}
    assert facts[f"record:{given.pk}"].details == {"contact", "gift"}
    # A gift from the pupil is not one from the adult.
    assert facts[f"record:{received.pk}"].details == {"contact"}
    # Asked for, not yet agreed: on the chronology, not contact.
    assert facts[f"request:{request.pk}"].details == frozenset()
    assert facts[f"concern:{concern.pk}"].details == {"concern"}
    assert facts[f"concern:{concern.pk}"].pupils == {pupil.pk}
    assert facts[f"concern:{concern.pk}"].refers_to == {f"record:{meeting.pk}"}
    assert facts[f"disclosure:{disclosure.pk}"].kind == "disclosure"
    assert facts[f"lado:{lado.pk}"].kind == "lado"


def test_an_approved_gift_request_is_a_gift(head, teacher, pupil):
    request = make_request(
        teacher, [pupil], kind="gift", purpose="personal", place="School", reasons="A prize."
    )
    planned_services.request_decide(
        actor=head, contact_request=request, decision="approve", reason="", expected_version=None
    )
    [fact] = pattern_facts.facts_of(head, teacher)
    assert fact.entry.details == {"contact", "gift"}


def test_the_thresholds_are_the_schools(school):
    school.pattern_unplanned_count = 5
    school.pattern_concerns_days = 200
    limits = pattern_facts.thresholds_for(school)
    assert (limits.unplanned_count, limits.concerns_days) == (5, 200)
    assert limits.gifts_messages_count == 2


# --- who may look ----------------------------------------------------------------------------


def test_who_may_look_at_whose_pattern(head, dsl, chair, teacher, deputy, assistant, governor):
    assert set(adults_patterned_by(head)) >= {teacher, dsl, deputy, chair}
    assert head not in adults_patterned_by(head)
    assert dsl not in adults_patterned_by(dsl)
    assert head not in adults_patterned_by(dsl)
    assert list(adults_patterned_by(chair)) == [head]
    for nobody in (teacher, deputy, assistant, governor):
        assert not may_open_pattern(nobody, teacher)
    assert may_open_pattern(chair, head) and not may_open_pattern(chair, teacher)


def test_the_page_answers_403_404_and_200(client, head, dsl, chair, teacher, outsider):
    sign_in(client, teacher)
    assert client.get(url(teacher)).status_code == 403
    sign_in(client, head)
    assert client.get(url(head)).status_code == 404
    assert client.get(url(outsider)).status_code == 404
    assert client.get(url(teacher)).status_code == 200
    sign_in(client, dsl)
    assert client.get(url(head)).status_code == 404
    assert client.get(url(teacher)).status_code == 200
    sign_in(client, chair)
    assert client.get(url(teacher)).status_code == 404
    assert client.get(url(head)).status_code == 200


def test_opening_it_is_audited_and_the_adult_is_not_shown_it(client, head, chair):
    sign_in(client, chair)
    client.get(url(head))
    event = AuditEvent.objects.get(object_type=PATTERN_TYPE)
    assert (event.action, event.actor, event.object_id) == ("view", chair, str(head.pk))
    assert event.object_ref == f"PATTERN-STAFF-{head.pk}"
    assert event not in audit_events_for(head, withheld={})
    assert event in audit_events_for(chair, withheld={})


def test_a_refused_page_writes_no_event(client, head, teacher):
    sign_in(client, teacher)
    client.get(url(teacher))
    sign_in(client, head)
    client.get(url(head))
    assert not AuditEvent.objects.filter(object_type=PATTERN_TYPE).exists()


# --- the page --------------------------------------------------------------------------------


def test_the_flags_name_and_link_the_entries_that_made_them(client, head, teacher, pupil):
    meetings = chance_meetings(teacher, pupil)
    presents = gifts(teacher, pupil)
    sign_in(client, head)
    response = client.get(url(teacher))
    page = text(response)
    assert "Worth a look (2)" in page
    assert "Repeated unplanned contact with one pupil · Ava Current" in page
    assert "Repeated gifts or personal messages to one pupil" in page
    html = response.content.decode()
    for record in meetings + presents:
        assert f'href="{reverse("record_detail", args=[record.pk])}"' in html
        assert record.reference in page
    assert "finding" not in page.replace("not a finding", "")


def test_below_the_threshold_nothing_is_flagged(client, head, teacher, pupil):
    chance_meetings(teacher, pupil, days=(20, 3))
    sign_in(client, head)
    assert "Nothing in what you may see meets the school's thresholds" in text(
        client.get(url(teacher))
    )


def test_the_schools_threshold_changes_the_flag(client, head, teacher, pupil, school):
    chance_meetings(teacher, pupil, days=(20, 3))
    school.pattern_unplanned_count = 2
    school.save()
    sign_in(client, head)
    assert "Repeated unplanned contact" in text(client.get(url(teacher)))


def test_the_chronology_joins_every_kind(client, head, teacher, pupil, colleague):
    record = make_record(teacher, [pupil])
    request = make_request(teacher, [pupil])
    concern = make_concern(colleague, teacher)
    disclosure = make_disclosure(teacher, pupil)
    lado = make_lado(head, teacher)
    sign_in(client, head)
    page = text(client.get(url(teacher)))
    for item in (record, request, concern, disclosure, lado):
        assert item.reference in page
    assert "Chronology, newest first (5)" in page


def test_a_long_chronology_is_paged(client, head, teacher, pupil):
    for day in range(1, 33):
        make_record(teacher, [pupil], occurred_at=past(day * 10))
    sign_in(client, head)
    first = text(client.get(url(teacher)))
    assert "Page 1 of 2" in first
    second = text(client.get(url(teacher) + "?page=2"))
    assert "Page 2 of 2" in second


def test_restricted_entries_are_masked_and_flag_nothing_for_the_dsl(client, dsl, assistant, pupil):
    """The DSL reads no family-liaison entry: it shows as restricted and counts in no flag."""
    records = [make_family_record(assistant, [pupil], occurred_at=past(d)) for d in (1, 2, 3)]
    assert all(r.restricted for r in records)
    facts = pattern_facts.facts_of(dsl, assistant)
    # The DSL is not a senior leader: the records are not theirs to see at all.
    assert facts == []


def test_an_entry_the_reader_may_know_of_but_not_read_is_masked_and_counts_in_no_flag(
    client, head, teacher, pupil, monkeypatch
):
    """No pattern reader holds such a role today (the head reads family-liaison entries, the
    DSL does not see them at all); the view must still keep to `can_read_record` if one does."""
    meetings = chance_meetings(teacher, pupil)
    monkeypatch.setattr(pattern_facts, "can_read_record", lambda user, record: False)
    sign_in(client, head)
    page = text(client.get(url(teacher)))
    assert page.count("Restricted") == 3
    assert all(record.reference in page for record in meetings)
    assert "Repeated unplanned contact" not in page
    assert "Ava" not in page


def test_the_dsl_sees_only_what_the_dsl_may_read(client, dsl, teacher, pupil, colleague):
    """The DSL reads disclosures and LADO matters, not other staff's records or concerns
    (never widened here): the chronology holds only those."""
    chance_meetings(teacher, pupil)
    make_concern(colleague, teacher)
    disclosure = make_disclosure(teacher, pupil)
    sign_in(client, dsl)
    page = text(client.get(url(teacher)))
    assert disclosure.reference in page
    assert "REC-" not in page and "CON-" not in page
    assert "Repeated unplanned contact" not in page


def test_the_chair_sees_no_pupils_name(client, chair, head, pupil):
    chance_meetings(head, pupil)
    sign_in(client, chair)
    page = text(client.get(url(head)))
    assert "Repeated unplanned contact with one pupil · Pupil A" in page
    assert "Ava" not in page


def test_the_concern_and_the_contact_after_it(client, head, teacher, pupil, colleague):
    first = make_record(teacher, [pupil], occurred_at=past(10))
    make_concern(colleague, teacher, related_record=first, occurred_on=past(10).date())
    later = make_record(teacher, [pupil], occurred_at=past(2), record_type="message",
                        kind="text_message", purpose="work", school_channel=True)  # fmt: skip
    sign_in(client, head)
    page = text(client.get(url(teacher)))
    assert "Contact with a pupil named in a concern · Ava Current" in page
    assert later.reference in page


# --- the staff member's page and the dashboard --------------------------------------------------


def test_the_staff_page_links_to_the_pattern_for_those_who_may_open_it(client, head, teacher):
    sign_in(client, head)
    assert url(teacher) in client.get(reverse("staff_detail", args=[teacher.pk])).content.decode()
    sign_in(client, teacher)
    assert (
        url(teacher) not in client.get(reverse("staff_detail", args=[teacher.pk])).content.decode()
    )


def test_the_dashboard_shows_each_flagged_adult(client, head, dsl, teacher, colleague, pupil):
    chance_meetings(teacher, pupil)
    gifts(colleague, pupil)
    sign_in(client, head)
    response = client.get(reverse("dashboard"))
    page = text(response)
    assert "Worth a look (2)" in page
    assert f"{teacher.full_name} · Repeated unplanned contact with one pupil" in page
    assert f"{colleague.full_name} · Repeated gifts or personal messages to one pupil" in page
    assert url(teacher) in response.content.decode()


def test_the_dashboard_flags_recent_contact_and_the_page_the_whole_history(
    client, head, teacher, colleague, pupil
):
    # Three chance meetings two years ago: a pattern then, on the adult's page; not now.
    chance_meetings(teacher, pupil, days=(760, 740, 730))
    # Within the last 90 days (the longest contact window by default): flagged on both.
    chance_meetings(colleague, pupil, days=(89, 40, 3))
    sign_in(client, head)
    page = text(client.get(reverse("dashboard")))
    assert "Worth a look (1)" in page
    assert colleague.full_name in page and teacher.full_name not in page
    assert "Repeated unplanned contact with one pupil" in text(client.get(url(teacher)))


def test_the_dashboard_says_nothing_when_nothing_is_flagged(client, head):
    sign_in(client, head)
    assert "Worth a look" not in text(client.get(reverse("dashboard")))


def test_the_deputys_dashboard_has_no_panel(client, deputy, teacher, pupil):
    chance_meetings(teacher, pupil)
    sign_in(client, deputy)
    assert "Worth a look" not in text(client.get(reverse("dashboard")))
    assert worth_a_look(deputy) == []


def test_the_dashboard_flags_contact_with_a_pupil_named_in_a_concern(
    client, head, teacher, colleague, pupil
):
    first = make_record(teacher, [pupil], occurred_at=past(10))
    make_concern(colleague, teacher, related_record=first, occurred_on=past(10).date())
    make_record(teacher, [pupil], occurred_at=past(2), record_type="message",
                kind="text_message", purpose="work", school_channel=True)  # fmt: skip
    sign_in(client, head)
    page = text(client.get(reverse("dashboard")))
    assert f"{teacher.full_name} · Contact with a pupil named in a concern" in page


def test_the_dashboard_reads_only_the_contact_a_rule_could_count(head, teacher, colleague, pupil):
    other = PupilFactory(school=pupil.school)
    named = make_record(teacher, [pupil], occurred_at=past(10))
    make_concern(colleague, teacher, related_record=named, occurred_on=past(10).date())
    work_call = {"record_type": "message", "kind": "text_message", "purpose": "work",
                 "school_channel": True}  # fmt: skip
    with_named = make_record(teacher, [pupil], occurred_at=past(2), **work_call)
    with_other = make_record(teacher, [other], occurred_at=past(2), **work_call)
    gift = make_record(teacher, [other], occurred_at=past(3), details="A book.", **GIVEN)
    read = pattern_facts.gather(head, [teacher.pk], every_kind=False, counted_only=True)
    keys = {fact.entry.key for fact in read[teacher.pk]}
    # Plain contact with a pupil no concern names could make no flag: not read.
    assert f"record:{with_other.pk}" not in keys
    assert {f"record:{with_named.pk}", f"record:{named.pk}", f"record:{gift.pk}"} <= keys


def test_the_dashboards_narrowed_reading_makes_the_same_flags_as_every_entry(head, school, pupil):
    """Random mixes of every kind of entry: the flags from what the dashboard reads are the
    flags from the whole chronology, adult by adult."""
    rng = random.Random(19)
    adults = [StaffFactory(school=school) for _ in range(4)]
    pupils = [pupil, *(PupilFactory(school=school) for _ in range(2))]
    shapes = [
        {},  # a chance meeting, the commonest entry
        {},
        {},
        GIVEN,
        GIVEN | {"direction": "received"},
        {"record_type": "correspondence", "kind": "letter", "purpose": "personal",
         "direction": "given"},
        {"record_type": "message", "kind": "text_message", "purpose": "personal",
         "school_channel": True},
        {"record_type": "message", "kind": "text_message", "purpose": "work",
         "school_channel": True},
    ]  # fmt: skip
    made = []
    for adult in adults:
        for _ in range(9):
            shape = rng.choice(shapes)
            extra = {"details": "A book."} if shape.get("record_type") == "gift" else {}
            made.append(
                make_record(adult, [rng.choice(pupils)], occurred_at=past(rng.randint(1, 80)),
                            **(shape | extra))
            )  # fmt: skip
        for _ in range(2):
            gift = {"kind": "gift", "purpose": "personal", "place": "School", "reasons": "A prize."}
            answers = rng.choice([gift, {}])  # a gift, or a work meeting
            request = make_request(adult, [rng.choice(pupils)], **answers)
            planned_services.request_decide(
                actor=head, contact_request=request, decision="approve", reason="",
                expected_version=None,
            )  # fmt: skip
    for adult in adults:
        for _ in range(rng.randint(0, 2)):
            about = rng.choice([r for r in made if r.author_id == adult.pk])
            make_concern(head, adult, related_record=about,
                         occurred_on=past(rng.randint(1, 80)).date())  # fmt: skip
    limits = pattern_facts.thresholds_for(school)
    ids = [adult.pk for adult in adults]
    every = pattern_facts.gather(head, ids, every_kind=False)
    narrowed = pattern_facts.gather(head, ids, every_kind=False, counted_only=True)
    rules = set()
    for adult_id in ids:
        expected = flags_for(pattern_facts.rule_entries(every[adult_id]), limits)
        assert flags_for(pattern_facts.rule_entries(narrowed[adult_id]), limits) == expected
        rules |= {flag.rule for flag in expected}
    # The mix made flags of every rule to compare, and the narrowing left entries out.
    assert rules == {"unplanned", "gifts_messages", "concerns", "contact_after_concern"}
    assert sum(map(len, narrowed.values())) < sum(map(len, every.values()))


def test_worth_a_look_reads_a_few_queries_whatever_the_staff(head, school, pupil):
    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            found = worth_a_look(head)
        assert found
        return len(captured)

    adult = StaffFactory(school=school)
    chance_meetings(adult, pupil)
    count()  # the reader's roles, cached for the request
    few = count()
    for _ in range(15):
        more = StaffFactory(school=school)
        chance_meetings(more, PupilFactory(school=school))
        gifts(more, pupil)
    assert count() == few
    assert few <= 12


# --- "Worth a look" brought up to date after a change -----------------------------------------


class Panel:
    """A reader's "Worth a look" kept as the dashboard keeps it: its own declaration of the
    panel (`safeguard.views._panels`) in `kept_panels`, counting how often it was worked out
    for every adult rather than brought up to date."""

    def __init__(self, reader):
        self.reader = reader
        self.worked_out = 0
        self.opened()

    def opened(self):
        declared = views._panels(self.reader)["worth_a_look"]

        def work_out():
            self.worked_out += 1
            return declared.work_out()

        answers = kept_panels(
            school_id=self.reader.school_id,
            key=f"worth-test:{self.reader.pk}",
            panels={"worth_a_look": dataclasses.replace(declared, work_out=work_out)},
        )
        self.state = answers["worth_a_look"]["worth_a_look"]
        return list(self.state.rows)


def test_after_a_record_only_its_adult_is_worked_out_again(head, school, pupil):
    panel = Panel(head)

    def after_a_record(adult) -> int:
        make_record(adult, [pupil], occurred_at=past(1))
        with CaptureQueriesContext(connection) as captured:
            found = panel.opened()
        assert adult.pk in {row.adult_id for row in found}
        return len(captured)

    first = StaffFactory(school=school)
    chance_meetings(first, pupil, days=(30, 20))
    after_a_record(first)  # brings the newcomer into reach
    few = after_a_record(first)
    for _ in range(10):
        more = StaffFactory(school=school)
        chance_meetings(more, PupilFactory(school=school))
        gifts(more, pupil)
    panel.opened()
    # Ten more adults flagged: the next record costs what it did, and the panel is whole.
    assert after_a_record(first) == few
    assert len(panel.opened()) == 11
    assert panel.opened() == worth_a_look(head)
    # Never worked out again: the ten's fifty records were followed too.
    assert panel.worked_out == 1


def test_a_record_that_makes_a_flag_shows_it_at_once(head, teacher, pupil):
    chance_meetings(teacher, pupil, days=(40, 20))
    panel = Panel(head)
    assert panel.opened() == []
    make_record(teacher, [pupil], occurred_at=past(3))
    [row] = panel.opened()
    assert (row.adult_id, row.name) == (teacher.pk, teacher.full_name)
    assert row.titles == ["Repeated unplanned contact with one pupil"]
    assert row.url == url(teacher)
    assert panel.worked_out == 1


def test_a_concern_about_one_adults_record_flags_the_adult_it_is_about(
    head, dsl, teacher, colleague, pupil
):
    """A concern's pupils are those of the entry it is about, whoever wrote that entry."""
    theirs = make_record(colleague, [pupil], occurred_at=past(10))
    make_record(teacher, [pupil], occurred_at=past(2))
    panel = Panel(head)
    assert panel.opened() == []
    make_concern(dsl, teacher, related_record=theirs, occurred_on=past(10).date())
    [row] = panel.opened()
    assert row.adult_id == teacher.pk
    assert row.titles == ["Contact with a pupil named in a concern"]
    assert panel.worked_out == 1


def test_someone_who_joined_since_is_brought_in(head, school, pupil):
    panel = Panel(head)
    # Made without an audited change, as an import outside the app would: their record is.
    newcomer = StaffFactory(school=school)
    chance_meetings(newcomer, pupil)
    assert [row.adult_id for row in panel.opened()] == [newcomer.pk]
    assert panel.worked_out == 1


def test_the_readers_own_record_flags_nobody(head, pupil):
    panel = Panel(head)
    chance_meetings(head, pupil)
    assert panel.opened() == []
    assert head.pk not in panel.state.reach


def test_what_makes_no_flag_works_nobody_out_again(head, teacher, pupil, monkeypatch):
    chance_meetings(teacher, pupil)
    panel = Panel(head)
    before = panel.opened()
    worked = []
    real = pattern_selectors._flagged
    monkeypatch.setattr(
        pattern_selectors, "_flagged", lambda *args: worked.append(args) or real(*args)
    )
    make_disclosure(teacher, pupil)  # and its alert for the DSL, about no adult's entry
    assert panel.opened() == before
    assert worked == []
    assert panel.worked_out == 1


def test_a_change_that_could_touch_anyone_is_not_followed(head, teacher, pupil):
    chance_meetings(teacher, pupil)
    panel = Panel(head)
    assert panel.opened()
    # The teacher and the head declare they are partners: from now on the head may not look
    # at the teacher's pattern (003 §3), which no entry of the teacher's changed.
    people_services.colleague_relationship_declare(
        actor=head, staff=head, colleague=teacher, kind="partner"
    )
    assert panel.opened() == []
    assert panel.worked_out == 2


def test_a_new_threshold_is_not_followed(head, school, teacher, pupil):
    chance_meetings(teacher, pupil)
    panel = Panel(head)
    assert panel.opened()
    people_services.school_update(actor=head, school=school, pattern_unplanned_count=4)
    head.school.refresh_from_db()
    assert panel.opened() == []
    assert panel.worked_out == 2


def test_a_deleted_entry_is_not_followed(head, teacher, pupil):
    meetings = chance_meetings(teacher, pupil)
    panel = Panel(head)
    assert panel.opened()
    # Deleted under the retention schedule: whose it was cannot be read from it any more.
    with transaction.atomic():
        audit_record(actor=head, school=head.school, action="record.create", obj=meetings[0])
        ContactRecord.objects.filter(pk=meetings[0].pk).delete()
    assert panel.opened() == []
    assert panel.worked_out == 2


def test_who_the_changes_touched(head, dsl, teacher, colleague, pupil):
    record = make_record(colleague, [pupil])
    request = make_request(teacher, [pupil])
    concern = make_concern(dsl, teacher, related_record=record)
    changed = pattern_facts.adults_changed
    assert changed([("record.create", "contacts.contactrecord", str(record.pk))]) == {
        colleague.pk,
        teacher.pk,  # the concern about the colleague's record is about the teacher
    }
    assert changed([("request.submit", "contacts.contactrequest", str(request.pk))]) == {teacher.pk}
    assert changed([("concern.close", "contacts.boundaryconcern", str(concern.pk))]) == {teacher.pk}
    disclosure = make_disclosure(teacher, pupil)
    assert changed([("disclosure.create", "contacts.disclosure", str(disclosure.pk))]) == set()
    [on_disclosure] = disclosure.alerts.all()
    assert changed([("alert.raise", "contacts.alert", str(on_disclosure.pk))]) == set()
    with transaction.atomic():
        on_record = alerts_services.alert_raise(
            actor=None, subject=record, owner_role="headteacher"
        )
    # An alert can let another reader read the entry (the DSL a record the head is alerted to):
    # its author's flags. A concern about the record takes its pupils whoever may read it.
    assert changed([("alert.raise", "contacts.alert", str(on_record.pk))]) == {colleague.pk}
    assert changed([("staff.update", "contacts.staff", str(teacher.pk))]) is None
    assert changed([("absence.record", "contacts.headabsence", "1")]) is None
    assert changed([("record.create", "contacts.contactrecord", str(record.pk + 99))]) is None


def test_brought_up_to_date_is_what_working_it_out_afresh_gives(
    head, dsl, school, pupil, monkeypatch
):
    """A random run of changes of every kind, and of days going by, the panel opened after
    each: it is always what working it out from nothing gives, and it was never worked out
    again."""
    rng = random.Random(23)
    adults = [StaffFactory(school=school) for _ in range(5)]
    pupils = [pupil, PupilFactory(school=school)]
    made = []
    # Today, as the test has it, starts 200 days back and moves on, so that entries dated back
    # from it are never in the real future, which the services refuse.
    shift = -200
    _days_on(monkeypatch, shift)
    panel = Panel(head)
    moved = []

    def ago(days):
        return past(days)

    def record(adult):
        shape = rng.choice([{}, {}, GIVEN | {"details": "A book."}])
        made.append(make_record(adult, [rng.choice(pupils)], occurred_at=ago(rng.randint(1, 60)),
                                **shape))  # fmt: skip

    def gift_request(adult):
        # Asked for ahead of the real today, as the service requires.
        starts = timezone.now() + dt.timedelta(days=rng.randint(1, 10))
        request = make_request(adult, [rng.choice(pupils)], kind="gift", purpose="personal",
                               place="School", reasons="A prize.", starts_at=starts)  # fmt: skip
        planned_services.request_decide(actor=head, contact_request=request, decision="approve",
                                        reason="", expected_version=None)  # fmt: skip

    def concern(adult):
        about = rng.choice(made) if made else None
        make_concern(dsl, adult, related_record=about, occurred_on=ago(rng.randint(1, 95)).date())

    def disclosure(adult):
        make_disclosure(adult, rng.choice(pupils))

    def newcomer(adult):
        adults.append(StaffFactory(school=school))

    def days_go_by(adult):
        nonlocal shift
        before = panel.opened()
        shift = min(shift + rng.randint(1, 20), -1)
        _days_on(monkeypatch, shift)
        moved.append(panel.opened() != before)

    steps = [record, record, record, gift_request, concern, disclosure, newcomer, days_go_by,
             days_go_by]  # fmt: skip
    for _ in range(60):
        rng.choice(steps)(rng.choice(adults))
        assert panel.opened() == worth_a_look(head)
    assert panel.state.rows, "the changes made flags to compare"
    assert sum(moved) > 1, "contact left the window as the days went by"
    assert panel.worked_out == 1


# --- "Worth a look" brought to the next day ----------------------------------------------------


_TODAY = timezone.localdate  # as it is, before a test moves the day on


def _days_on(monkeypatch, days):
    day = _TODAY() + dt.timedelta(days=days)
    monkeypatch.setattr(timezone, "localdate", lambda *args: day)


def test_contact_that_leaves_the_window_the_next_day_takes_its_flag_away(
    head, teacher, colleague, pupil, monkeypatch
):
    """The window (90 days by default) moves on with the day: the teacher's meeting 90 days ago
    leaves it tomorrow, and their flag with it. Only the teacher is worked out again: the
    colleague's meeting 90 days ago is with another pupil, not part of their flag, which is
    kept."""
    chance_meetings(teacher, pupil, days=(90, 20, 3))
    chance_meetings(colleague, pupil, days=(30, 20, 3))
    make_record(colleague, [PupilFactory(school=colleague.school)], occurred_at=past(90))
    panel = Panel(head)
    assert {row.adult_id for row in panel.opened()} == {teacher.pk, colleague.pk}
    worked = []
    real = pattern_selectors._flagged
    monkeypatch.setattr(
        pattern_selectors, "_flagged", lambda *args: worked.append(args[1]) or real(*args)
    )
    _days_on(monkeypatch, 1)
    assert [row.adult_id for row in panel.opened()] == [colleague.pk]
    assert panel.opened() == worth_a_look(head)
    assert worked[0] == [teacher.pk]
    assert panel.worked_out == 1


def test_a_flag_other_than_the_first_made_of_contact_that_left_is_followed(
    head, teacher, pupil, monkeypatch
):
    """The adult's flags are each kept with the entries that make them: here their second flag's
    first gift leaves the window tomorrow, and only that flag goes."""
    chance_meetings(teacher, pupil, days=(30, 20, 3))
    gifts(teacher, PupilFactory(school=teacher.school), days=(90, 10))
    panel = Panel(head)
    [row] = panel.opened()
    assert row.titles == [
        "Repeated unplanned contact with one pupil",
        "Repeated gifts or personal messages to one pupil",
    ]
    _days_on(monkeypatch, 1)
    assert panel.opened() == worth_a_look(head)
    assert panel.opened()[0].titles == ["Repeated unplanned contact with one pupil"]
    assert panel.worked_out == 1


@pytest.mark.parametrize("away", ["today", "tomorrow"])
def test_the_heads_absence_beginning_or_ending_by_the_date_is_seen(
    away, school, head, dsl, teacher, colleague, monkeypatch
):
    """A deputy head who is also the DSL reads the concerns the head manages only while the
    head is away (contacts.concerns.selectors): an absence that ends tonight, or begins
    tomorrow, changes their flags with no change to follow."""
    reader = StaffFactory(school=school, roles=[Role.DEPUTY_HEAD, Role.DSL], line_manager=head)
    make_concern(teacher, colleague)
    make_concern(teacher, colleague)
    day = _TODAY() + dt.timedelta(days=0 if away == "today" else 1)
    planned_services.absence_record(actor=head, school=school, starts_on=day, ends_on=day)
    panel = Panel(reader)
    flagged_today = [row.adult_id for row in panel.opened()]
    assert flagged_today == ([colleague.pk] if away == "today" else [])
    _days_on(monkeypatch, 1)
    assert panel.opened() == worth_a_look(reader)
    assert [row.adult_id for row in panel.opened()] == ([] if away == "today" else [colleague.pk])


def test_the_next_day_with_no_contact_leaving_works_nobody_out_again(
    head, teacher, pupil, monkeypatch
):
    chance_meetings(teacher, pupil)
    panel = Panel(head)
    before = panel.opened()
    _days_on(monkeypatch, 1)
    with CaptureQueriesContext(connection) as captured:
        assert panel.opened() == before
    # The reader's thresholds are the school's, already read: one query, for contact that left.
    assert len([q for q in captured if "contacts_contactrecord" in q["sql"]]) == 1
    assert panel.state.since == timezone.localdate() - dt.timedelta(days=90)
    assert panel.worked_out == 1


def test_a_request_that_leaves_the_window_is_followed_too(head, teacher, pupil, monkeypatch):
    """Agreed gifts are contact: two within the window flag the requester; the first leaving
    it takes the flag away."""
    for days in (90, 10):
        request = make_request(teacher, [pupil], kind="gift", purpose="personal", place="School",
                               reasons="A prize.")  # fmt: skip
        planned_services.request_decide(actor=head, contact_request=request, decision="approve",
                                        reason="", expected_version=None)  # fmt: skip
        ContactRequest.objects.filter(pk=request.pk).update(starts_at=past(days))
    panel = Panel(head)
    [row] = panel.opened()
    assert row.titles == ["Repeated gifts or personal messages to one pupil"]
    _days_on(monkeypatch, 1)
    assert panel.opened() == []
    assert panel.worked_out == 1


def test_a_window_moved_back_works_it_all_out_again(head, teacher, pupil, monkeypatch):
    chance_meetings(teacher, pupil)
    _days_on(monkeypatch, 1)
    panel = Panel(head)
    _days_on(monkeypatch, 0)
    assert panel.opened() == worth_a_look(head)
    assert panel.worked_out == 2


@pytest.mark.parametrize("reader", ["head", "dsl"])
def test_the_page_reads_a_bounded_number_of_queries(client, request, reader, teacher, pupil):
    chance_meetings(teacher, pupil)
    person = request.getfixturevalue(reader)
    sign_in(client, person)
    client.get(url(teacher))
    with CaptureQueriesContext(connection) as few:
        client.get(url(teacher))
    for day in range(50, 80):
        make_record(teacher, [pupil], occurred_at=past(day))
    with CaptureQueriesContext(connection) as many:
        client.get(url(teacher))
    assert len(many) <= len(few) + 2


def test_the_chair_reaches_the_heads_pattern_from_the_governance_page(client, chair, head):
    from tests.helpers import sign_in

    sign_in(client, chair)
    page = client.get(reverse("governance")).content.decode()
    link = reverse("staff_pattern", args=[head.pk])
    assert link in page
    assert client.get(link).status_code == 200

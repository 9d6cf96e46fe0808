"""`last_change`: the version of a school's data that cached panels are kept under. Any change
gives a new one; reading, copying out and signing in do not; another school's changes neither.
`kept_panels`: each panel worked out again only after a change that can change it."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from contacts.people import services as people_services
from safeguard.audit import selectors as audit_selectors
from safeguard.audit.selectors import Panel, changes_between, kept_panels, last_change
from safeguard.audit.services import (
    audit_download,
    audit_record,
    audit_view,
    kept_panels_forget,
)
from safeguard.audit.vocabulary import ATTACHMENT_DOWNLOAD, REPORT_EXPORT
from tests.factories_records import make_record


def test_a_change_gives_a_new_version_and_a_read_does_not(school, head, teacher, pupil):
    before = last_change(school.pk)
    record = make_record(teacher, [pupil])
    changed = last_change(school.pk)
    assert changed > before
    audit_view(actor=head, obj=record, school=school)
    audit_download(actor=head, school=school, action=ATTACHMENT_DOWNLOAD, obj=record)
    audit_download(actor=head, school=school, action=REPORT_EXPORT, obj=school)
    audit_record(actor=head, school=school, action="account.sign_in", obj=head)
    assert last_change(school.pk) == changed


def test_another_schools_change_is_not_ours(school, other_school, outsider, other_pupil):
    before = last_change(school.pk)
    make_record(outsider, [other_pupil])
    assert last_change(school.pk) == before
    assert last_change(other_school.pk) > 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's query plan")
def test_the_latest_change_is_one_step_down_its_index(school, head, teacher, pupil):
    record = make_record(teacher, [pupil])
    for _ in range(20):
        audit_view(actor=head, obj=record, school=school)
    from safeguard.audit.models import AuditEvent
    from safeguard.audit.vocabulary import ACCOUNT_PREFIX, READS

    rows = (
        AuditEvent.objects.filter(school_id=school.pk)
        .exclude(action__in=READS)
        .exclude(action__startswith=ACCOUNT_PREFIX)
        .order_by("-id")
        .values_list("id", flat=True)[:1]
    )
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = rows.explain()
    assert "audit_school_changes_idx" in plan


# --- the changes since a version, and panels kept and brought up to date ------------------------


def test_the_changes_since_a_version_in_order_without_reads(school, head, teacher, pupil):
    before = last_change(school.pk)
    first = make_record(teacher, [pupil])
    audit_view(actor=head, obj=first, school=school)
    second = make_record(teacher, [pupil])
    now = last_change(school.pk)
    changes = changes_between(school.pk, before, now, limit=10)
    records = [c for c in changes if c[1] == "contacts.contactrecord"]
    assert records == [
        ("record.create", "contacts.contactrecord", str(first.pk)),
        ("record.create", "contacts.contactrecord", str(second.pk)),
    ]
    assert all(action != "view" for action, _, _ in changes)
    assert changes_between(school.pk, now, now, limit=10) == []
    assert changes_between(school.pk, before, now, limit=len(changes) - 1) is None


class Counted:
    """A panel's answer, counting how often it was worked out."""

    def __init__(self, changed_by=(), catch_up=None, next_day=None):
        self.times = 0
        self.panel = Panel(self.work_out, changed_by, catch_up, next_day)

    def work_out(self):
        self.times += 1
        return {"answer": self.times}


def _kept(school, panels):
    return kept_panels(
        school_id=school.pk, key="test", panels={name: c.panel for name, c in panels.items()}
    )


def test_a_panel_is_worked_out_again_only_after_a_change_that_can_change_it(
    school, head, teacher, pupil
):
    panels = {"records": Counted(("record.",)), "policies": Counted(("policy.",))}
    assert _kept(school, panels) == {"records": {"answer": 1}, "policies": {"answer": 1}}
    assert _kept(school, panels)["records"] == {"answer": 1}  # nothing changed
    make_record(teacher, [pupil])
    assert _kept(school, panels) == {"records": {"answer": 2}, "policies": {"answer": 1}}
    audit_view(actor=head, obj=pupil, school=school)  # a read changes nothing
    assert _kept(school, panels) == {"records": {"answer": 2}, "policies": {"answer": 1}}


def test_a_change_not_followed_works_every_panel_out_again(school, head, teacher):
    panels = {"records": Counted(("record.",)), "unchanged": Counted()}
    _kept(school, panels)
    people_services.staff_update(actor=head, staff=teacher, first_name="Renamed")
    assert _kept(school, panels) == {"records": {"answer": 2}, "unchanged": {"answer": 2}}


def test_too_many_changes_work_every_panel_out_again(school, teacher, pupil, monkeypatch):
    monkeypatch.setattr(audit_selectors, "CATCH_UP_LIMIT", 2)
    panels = {"records": Counted(("record.",)), "unchanged": Counted()}
    _kept(school, panels)
    make_record(teacher, [pupil])
    assert _kept(school, panels)["unchanged"] == {"answer": 1}
    for _ in range(3):
        make_record(teacher, [pupil])
    assert _kept(school, panels)["unchanged"] == {"answer": 2}


def test_a_panel_brought_up_to_date_from_the_changes(school, teacher, pupil):
    seen = []

    def catch_up(kept, changes):
        seen.append(changes)
        # Brought up to date once; the second time it cannot be, and is worked out instead.
        return {"answer": kept["answer"] + 100} if len(seen) == 1 else None

    counted = Counted(("record.",), catch_up)
    panels = {"records": counted}
    _kept(school, panels)
    record = make_record(teacher, [pupil])
    assert _kept(school, panels) == {"records": {"answer": 101}}
    assert seen == [[("record.create", "contacts.contactrecord", str(record.pk))]]
    make_record(teacher, [pupil])
    assert _kept(school, panels) == {"records": {"answer": 2}}
    assert counted.times == 2


def _days_on(monkeypatch, days):
    day = timezone.localdate() + dt.timedelta(days=days)
    monkeypatch.setattr(timezone, "localdate", lambda *args: day)


def test_the_next_day_works_every_panel_out_again(school, monkeypatch):
    panels = {"unchanged": Counted()}
    _kept(school, panels)
    _days_on(monkeypatch, 1)
    assert _kept(school, panels) == {"unchanged": {"answer": 2}}
    assert _kept(school, panels) == {"unchanged": {"answer": 2}}  # kept for the new day


def test_a_panel_that_can_be_brought_to_the_next_day_is_not_worked_out_again(school, monkeypatch):
    moved = []

    def next_day(kept):
        moved.append(kept)
        return {"answer": kept["answer"] + 10}

    panels = {"dated": Counted(next_day=next_day), "plain": Counted()}
    _kept(school, panels)
    _days_on(monkeypatch, 3)  # a weekend: Friday's answer brought to Monday
    assert _kept(school, panels) == {"dated": {"answer": 11}, "plain": {"answer": 2}}
    assert moved == [{"answer": 1}]
    assert panels["dated"].times == 1
    assert _kept(school, panels)["dated"] == {"answer": 11}  # once a day
    assert moved == [{"answer": 1}]


def test_a_panel_that_cannot_be_brought_to_the_next_day_is_worked_out_again(school, monkeypatch):
    panels = {"dated": Counted(next_day=lambda kept: None)}
    _kept(school, panels)
    _days_on(monkeypatch, 1)
    assert _kept(school, panels) == {"dated": {"answer": 2}}


def test_the_next_day_then_the_changes_since(school, teacher, pupil, monkeypatch):
    """Brought to the new day first, then the changes caught up; a panel worked out for the new
    day is not worked out a second time for the changes (it already holds them)."""
    steps = []

    def next_day(kept):
        steps.append("next day")
        return {"answer": kept["answer"] + 10}

    def catch_up(kept, changes):
        steps.append(("caught up", kept["answer"], [c[0] for c in changes]))
        return {"answer": kept["answer"] + 100}

    panels = {
        "dated": Counted(("record.",), catch_up, next_day),
        "plain": Counted(("record.",), catch_up),
    }
    _kept(school, panels)
    make_record(teacher, [pupil])
    _days_on(monkeypatch, 1)
    assert _kept(school, panels) == {"dated": {"answer": 111}, "plain": {"answer": 2}}
    assert steps == ["next day", ("caught up", 11, ["record.create"])]


def test_a_change_not_followed_on_the_next_day_works_every_panel_out(
    school, head, teacher, monkeypatch
):
    moved = []
    panels = {"dated": Counted(next_day=lambda kept: moved.append(kept) or kept)}
    _kept(school, panels)
    people_services.staff_update(actor=head, staff=teacher, first_name="Renamed")
    _days_on(monkeypatch, 1)
    assert _kept(school, panels) == {"dated": {"answer": 2}}
    assert moved == []


def test_a_day_set_back_works_every_panel_out_again(school, monkeypatch):
    """The clock (or the school's time zone) set back: what was kept for a later day is not
    brought back to an earlier one."""
    moved = []
    panels = {"dated": Counted(next_day=lambda kept: moved.append(kept) or kept)}
    _days_on(monkeypatch, 1)
    _kept(school, panels)
    _days_on(monkeypatch, -1)  # back to today, from tomorrow
    assert _kept(school, panels) == {"dated": {"answer": 2}}
    assert moved == []


def test_another_shape_of_panels_is_worked_out_afresh(school):
    _kept(school, {"one": Counted()})
    assert _kept(school, {"one": Counted(), "two": Counted()}) == {
        "one": {"answer": 1},
        "two": {"answer": 1},
    }


def test_forgetting_works_every_panel_out_afresh(school):
    panels = {"unchanged": Counted()}
    _kept(school, panels)
    assert _kept(school, panels) == {"unchanged": {"answer": 1}}
    kept_panels_forget()
    assert _kept(school, panels) == {"unchanged": {"answer": 2}}
    assert _kept(school, panels) == {"unchanged": {"answer": 2}}


def test_the_command_and_every_migrate_forget_them(school):
    panels = {"unchanged": Counted()}
    _kept(school, panels)
    out = StringIO()
    call_command("forget_kept_panels", stdout=out)
    assert "Every kept panel will be worked out afresh" in out.getvalue()
    assert _kept(school, panels) == {"unchanged": {"answer": 2}}
    call_command("migrate", verbosity=0)  # an upgrade: nothing left to apply, still forgotten
    assert _kept(school, panels) == {"unchanged": {"answer": 3}}


def test_what_is_kept_has_the_shape_its_key_names():
    """An answer kept in the cache is unpickled when read: after an upgrade that changed its
    shape, one of the old shape would fail or mislead. Its key names the shape, raised with it:
    if this fails, raise KEPT_SHAPE (the kept state) or DASHBOARD_SHAPE (the dashboard's panels,
    "Worth a look" among them) and update the names here."""
    from dataclasses import fields

    from contacts.patterns.selectors import Flagged, WorthALook, WorthState
    from safeguard import views

    assert (audit_selectors.KEPT_SHAPE, [f.name for f in fields(audit_selectors._Kept)]) == (
        3,
        ["at", "day", "generation", "panels"],
    )
    dashboard = [[f.name for f in fields(kind)] for kind in (WorthState, Flagged, WorthALook)]
    assert (views.DASHBOARD_SHAPE, dashboard) == (
        3,
        [
            ["limits", "since", "head_away", "reach", "flagged", "rows"],
            ["titles", "made_of"],
            ["adult_id", "name", "titles", "url"],
        ],
    )


# Every action the kept panels follow, as reviewed against what each panel reads (the
# dashboard's `_panels`, and whose entries `contacts.patterns.facts.adults_changed` finds).
FOLLOWED_AS_REVIEWED = {
    *(f"alert.{step}" for step in ("acknowledge", "close", "escalate", "note", "raise", "reopen")),
    *(
        f"case.{step}"
        for step in ("action_add", "action_done", "referral_add", "referral_response")
    ),  # fmt: skip
    *(f"concern.{step}" for step in ("close", "raise", "respond")),
    *(f"disclosure.{step}" for step in ("addendum", "create")),
    *(f"lado.{step}" for step in ("consultation", "outcome", "referral")),
    *(
        f"policy.{step}"
        for step in ("acknowledge", "adopt", "create", "sign", "update", "version_add")
    ),  # fmt: skip
    *(f"record.{step}" for step in ("addendum", "create")),
    *(
        f"request.{step}"
        for step in (
            "approve",
            "ask",
            "cancel",
            "complete",
            "create",
            "edit",
            "note",
            "plan_review",
            "refer",
            "reject",
            "remind",
            "review",
            "session",
            "submit",
            "withdraw",
        )
    ),  # fmt: skip
}


def test_a_new_kind_of_change_that_panels_follow_is_reviewed_first():
    """A new action under a followed prefix is taken to change only the panels that name that
    prefix. If this fails: check what it changes against each panel's reads (a change to who
    may see what is not followed: give it a prefix outside FOLLOWED), then add it here."""
    from safeguard.audit.vocabulary import ACTIONS

    followed = {action for action in ACTIONS if action.startswith(audit_selectors.FOLLOWED)}
    assert followed == FOLLOWED_AS_REVIEWED

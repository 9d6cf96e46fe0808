"""Every write to people in the directory. Each function is one transaction with its audit event."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken

from contacts.people import selectors
from contacts.people.models import (
    FAMILY_ONLY_CONTACT,
    FAMILY_RELATIONSHIPS,
    AgreedContactMode,
    ColleagueRelationship,
    DeclaredContact,
    Invitation,
    ParentCarer,
    Pupil,
    Staff,
    StaffRelative,
    StaffRole,
)
from safeguard.audit.services import audit_record
from safeguard.core import mail, roles
from safeguard.core.models import School
from safeguard.core.roles import Role

STAFF_FIELDS = (
    "email",
    "first_name",
    "last_name",
    "job_title",
    "date_of_birth",
    "staff_type",
    "line_manager",
    "leaving_date",
)
PUPIL_FIELDS = (
    "first_name",
    "last_name",
    "date_of_birth",
    "admission_date",
    "leaving_date",
    "year_group",
    "vulnerable_adult",
    "notes",
    "agreed_contact_modes",
)


def _check_agreed_modes(pupil: Pupil) -> None:
    modes = pupil.agreed_contact_modes
    if not isinstance(modes, list) or not set(modes) <= set(AgreedContactMode.values):
        raise ValidationError({"agreed_contact_modes": "Choose from the forms of contact listed."})
    pupil.agreed_contact_modes = [m for m in AgreedContactMode.values if m in modes]


def _require_people_editor(actor: Staff, school: School) -> None:
    if actor.school_id != school.pk or not roles.has_role(actor, roles.PEOPLE_EDITORS):
        raise PermissionDenied("Only the headteacher or the school administrator may do this.")


# --- Separation of duties (docs/security.md "Separation of duties") -------------------------
# Who is told of a change to someone's duties or account. contacts.notifications sits above
# this subject, so it registers the function that tells when Django starts (contacts/apps.py).


@dataclass(frozen=True)
class DutyChange:
    """A change the chair and the DSL are told of at once, and perhaps the person affected."""

    school: School
    actor: Staff | None
    staff: Staff
    what: str  # in words, e.g. "roles changed" or "email address changed"
    # The address to tell the person affected, as it was before the change ("" to tell
    # only the chair and the DSL).
    tell_at: str = ""
    to_overseers: bool = True


_tellers: list[Callable[[DutyChange], None]] = []


def register_duty_teller(teller: Callable[[DutyChange], None]) -> None:
    """Called from an AppConfig.ready(); registering the same one again changes nothing."""
    if teller not in _tellers:
        _tellers.append(teller)


def _tell(change: DutyChange) -> None:
    for teller in _tellers:
        teller(change)


def _held(staff: Staff) -> set[str]:
    """The roles stored for this person, read afresh: an inactive account still holds them
    (roles_of answers nothing for one), and a deactivated head is still a senior account."""
    return set(StaffRole.objects.filter(staff_id=staff.pk).values_list("role", flat=True))


def _role_names(values: Iterable[str]) -> str:
    return ", ".join(Role(r).label.lower() for r in sorted(values))


def _check_roles(
    actor: Staff | None,
    role_values: Iterable[str],
    held: Iterable[str] = (),
    *,
    is_self: bool = False,
) -> list[str]:
    """The roles to hold, refusing unknown ones and changes the actor may not make: governance
    roles are the chair's to give, the senior and safeguarding roles the head's, and nobody
    gives themself a role. `actor` None is the installation's operator (a command)."""
    chosen = sorted(set(role_values) - roles.IMPLICIT)
    unknown = [r for r in chosen if r not in Role.values]
    if unknown:
        raise ValidationError({"roles": f"Unknown role: {', '.join(unknown)}."})
    held = set(held)
    changed = set(chosen) ^ held
    if actor is not None:
        refused = [r for r in sorted(changed) if not roles.may_assign(actor, r)]
        if refused:
            by_whom: dict[str, list[str]] = {}
            for r in refused:
                by_whom.setdefault(roles.assigned_by(r), []).append(r)
            raise ValidationError(
                {
                    "roles": " ".join(
                        f"Only {who} can give or remove the {_role_names(rs)} role."
                        for who, rs in by_whom.items()
                    )
                }
            )
    if is_self and set(chosen) - held:
        raise ValidationError(
            {"roles": "You cannot give yourself a role: someone who oversees you does."}
        )
    if is_self and Role.HEADTEACHER in held - set(chosen):
        raise ValidationError(
            {"roles": "You cannot remove your own headteacher role: the new headteacher does."}
        )
    if Role.HEADTEACHER in chosen and set(chosen) & roles.GOVERNANCE_ROLES:
        raise ValidationError(
            {
                "roles": "The headteacher cannot also be chair of governors or a governor: "
                "the governors oversee the headteacher."
            }
        )
    return chosen


def _check_line_manager(
    actor: Staff | None, staff: Staff, manager: Staff | None, role_values: Iterable[str]
) -> None:
    """Nobody becomes the line manager of someone who oversees them: the head and the governors
    have none; the deputy, assistant head, DSL and administrator have only the head; and nobody is
    managed by someone they manage, however far down. Nobody but the head names themself
    someone's line manager (the head already oversees every member of staff)."""
    if manager is None:
        return
    held = set(role_values)
    if held & roles.NO_LINE_MANAGER:
        raise ValidationError(
            {
                "line_manager": "The headteacher and the governors have no line manager in "
                "Safeguard: the governing body oversees the headteacher. Choose no line manager."
            }
        )
    if roles.has_role(manager, roles.GOVERNANCE_ROLES):
        raise ValidationError(
            {
                "line_manager": "A governor cannot be a line manager: governors hold the school "
                "to account and see no pupil's name, so they do not monitor staff's contact."
            }
        )
    if held & roles.HEAD_MANAGED and not roles.has_role(manager, Role.HEADTEACHER):
        raise ValidationError(
            {
                "line_manager": "A deputy head, assistant head, safeguarding lead or administrator "
                "oversees other staff, so only the headteacher can be their line manager."
            }
        )
    if staff.pk is not None and manager.pk in selectors.related_colleague_ids(staff.pk):
        raise ValidationError(
            {
                "line_manager": f"{staff.get_full_name()} and {manager.get_full_name()} declared "
                "a relationship, so neither manages the other (003 §3). Choose someone else."
            }
        )
    if staff.pk is not None and _manages(staff, manager):
        raise ValidationError(
            {
                "line_manager": f"{manager.get_full_name()} reports to {staff.get_full_name()}, "
                "so cannot be their line manager."
            }
        )
    if actor is not None and manager.pk == actor.pk and not roles.has_role(actor, Role.HEADTEACHER):
        raise ValidationError(
            {"line_manager": "You cannot make yourself someone's line manager: the head does."}
        )


def _manages(staff: Staff, other: Staff) -> bool:
    """Whether `staff` is `other`'s line manager, directly or further up the line."""
    seen: set[int] = set()
    current: Staff | None = other
    while current is not None and current.line_manager_id is not None:
        if current.line_manager_id == staff.pk:
            return True
        if current.line_manager_id in seen:
            return False
        seen.add(current.line_manager_id)
        current = Staff.objects.filter(pk=current.line_manager_id).first()
    return False


def _check_own_line_manager(actor: Staff | None, staff: Staff) -> None:
    """Nobody chooses, changes or removes their own line manager: who monitors your contact with
    pupils (000) is not yours to pick."""
    if actor is not None and staff.pk == actor.pk:
        raise ValidationError(
            {"line_manager": "You cannot choose or remove your own line manager: the head does."}
        )


def _require_may_change_account(
    actor: Staff | None, staff: Staff, held: set[str], doing: str
) -> None:
    """Who someone is (their email) and whether they can sign in: for the headteacher and the
    governors only the chair of governors changes it (the head never controls their overseers),
    for the other senior accounts only the headteacher; never the administrator. `doing` is the
    change in words, e.g. "change the email address of"."""
    if actor is None or not held & roles.SENIOR_ACCOUNT_ROLES:
        return
    if held & roles.CHAIR_RESETS:
        if not roles.has_role(actor, Role.CHAIR_OF_GOVERNORS):
            raise ValidationError(
                f"Only the chair of governors can {doing} the headteacher or a governor."
            )
    elif not roles.has_role(actor, Role.HEADTEACHER):
        raise ValidationError(
            f"Only the headteacher can {doing} someone who holds the "
            f"{_role_names(held & roles.SENIOR_ACCOUNT_ROLES)} role."
        )


def _require_account_editor(actor: Staff, staff: Staff, held: set[str]) -> None:
    """The people editors change accounts; the chair of governors the head's and governors'."""
    if actor.school_id != staff.school_id:
        raise PermissionDenied("This member of staff is at another school.")
    if roles.has_role(actor, roles.PEOPLE_EDITORS):
        return
    if held & roles.CHAIR_RESETS and roles.has_role(actor, Role.CHAIR_OF_GOVERNORS):
        return
    raise PermissionDenied("Only the headteacher or the school administrator may do this.")


def record_duty_changes(
    actor: Staff | None,
    staff: Staff,
    roles_before: set[str],
    roles_after: set[str],
    manager_before: Staff | None,
    manager_after: Staff | None,
    *,
    operator: str = "",
) -> None:
    """Audit and tell a change to safeguarding roles or to line management, inside the
    caller's transaction. Other roles (line manager) are audited with the account's change."""
    watched_before = roles_before & roles.SAFEGUARDING_ROLES
    watched_after = roles_after & roles.SAFEGUARDING_ROLES
    told = []
    if watched_after - watched_before:
        # An invitation sent before the person took on a senior role was sent by someone who
        # may not be allowed to invite them now: it stops working (whoever may, sends a new one).
        withdrawn = staff.invitations.filter(
            accepted_at__isnull=True, revoked_at__isnull=True
        ).update(revoked_at=timezone.now())
        if withdrawn:
            operator = "; ".join(p for p in [operator, "open invitation withdrawn"] if p)
    if watched_before != watched_after:
        added, removed = watched_after - watched_before, watched_before - watched_after
        parts = [
            f"given: {_role_names(added)}" if added else "",
            f"removed: {_role_names(removed)}" if removed else "",
        ]
        audit_record(
            actor=actor,
            school=staff.school,
            action="staff.roles_change",
            obj=staff,
            from_state=", ".join(sorted(watched_before)),
            to_state=", ".join(sorted(watched_after)),
            reason="; ".join(p for p in [*parts, operator] if p),
        )
        told.append("safeguarding roles changed")
    before_pk = manager_before.pk if manager_before else None
    after_pk = manager_after.pk if manager_after else None
    if before_pk != after_pk:
        audit_record(
            actor=actor,
            school=staff.school,
            action="staff.line_manager_change",
            obj=staff,
            from_state=manager_before.audit_ref if manager_before else "",
            to_state=manager_after.audit_ref if manager_after else "",
            reason=operator,
        )
        told.append("line manager changed")
    if told:
        _tell(DutyChange(school=staff.school, actor=actor, staff=staff, what=" and ".join(told)))


def staff_create(
    *,
    actor: Staff,
    school: School,
    roles_held: Iterable[str] = (),
    password: str | None = None,
    invite: bool = False,
    **fields: Any,
) -> Staff:
    """Add a member of staff. Without a password they cannot sign in until one is set: `invite`
    sends them a link to choose it, in the same transaction."""
    _require_people_editor(actor, school)
    role_values = _check_roles(actor, roles_held)
    staff = Staff(school=school, **{k: v for k, v in fields.items() if k in STAFF_FIELDS})
    _check_line_manager(actor, staff, staff.line_manager, role_values)
    _check_leaving_date(actor, staff)
    staff.leaving_date_set_by = actor if staff.leaving_date else None
    if password:
        staff.set_password(password)
    else:
        staff.set_unusable_password()
    staff.full_clean()
    with transaction.atomic():
        staff.save()
        _set_roles(staff, role_values)
        audit_record(
            actor=actor,
            school=school,
            action="staff.create",
            obj=staff,
            reason=f"roles: {', '.join(role_values) or 'staff'}",
        )
        record_duty_changes(actor, staff, set(), set(role_values), None, staff.line_manager)
        if invite:
            invitation_issue(actor, staff)
    return staff


def _check_leaving_date(actor: Staff, staff: Staff) -> None:
    """A leaving date ends the account that day: nobody sets their own, and a new member of
    staff has not left yet."""
    if staff.leaving_date is None:
        return
    if staff._state.adding and staff.leaving_date <= timezone.localdate():
        raise ValidationError(
            {"leaving_date": "A new member of staff's leaving date must be after today."}
        )
    if staff.pk == actor.pk:
        raise ValidationError({"leaving_date": "You cannot set your own leaving date."})


def staff_update(
    *, actor: Staff, staff: Staff, roles_held: Iterable[str] | None = None, **fields: Any
) -> Staff:
    """Change a member of staff's details, roles and line manager, within the separation of
    duties (docs/security.md): the senior accounts' email only the head changes (the chair, the
    head's own), and the person is told at the address they had."""
    with transaction.atomic():
        Staff.objects.select_for_update(of=("self",)).filter(pk=staff.pk).first()  # lock the row
        held = _held(staff)
        _require_account_editor(actor, staff, held)
        before = Staff.objects.select_related("line_manager").get(pk=staff.pk)
        manager_before, old_email = before.line_manager, before.email
        changed = sorted(
            k for k, v in fields.items() if k in STAFF_FIELDS and getattr(staff, k) != v
        )
        for key in changed:
            setattr(staff, key, fields[key])
        role_values = held
        if roles_held is not None:
            role_values = set(_check_roles(actor, roles_held, held, is_self=staff.pk == actor.pk))
        staff.full_clean()
        if staff.email != old_email:
            try:
                _require_may_change_account(actor, staff, held, "change the email address of")
            except ValidationError as error:
                raise ValidationError({"email": error.messages}) from None
        if staff.leaving_date != before.leaving_date:
            staff.leaving_date_set_by = actor if staff.leaving_date else None
            _check_leaving_date(actor, staff)
            try:
                _require_may_change_account(actor, staff, held, "set the leaving date of")
            except ValidationError as error:
                raise ValidationError({"leaving_date": error.messages}) from None
        if staff.line_manager_id != before.line_manager_id:
            _check_own_line_manager(actor, staff)
        if staff.line_manager_id != before.line_manager_id or role_values != held:
            _check_line_manager(actor, staff, staff.line_manager, role_values)
        staff.save()
        reason = f"changed: {', '.join(changed) or 'nothing'}"
        if roles_held is not None:
            _set_roles(staff, sorted(role_values))
            reason += f"; roles: {', '.join(sorted(role_values)) or 'staff'}"
        audit_record(
            actor=actor, school=staff.school, action="staff.update", obj=staff, reason=reason
        )
        record_duty_changes(actor, staff, held, role_values, manager_before, staff.line_manager)
        if staff.is_active and staff.leaving_date and staff.leaving_date <= timezone.localdate():
            _deactivate(actor, staff, held, why="leaving date reached")
        if staff.email != old_email:
            # A link sent to the old address must not let whoever reads it in.
            staff.invitations.filter(accepted_at__isnull=True, revoked_at__isnull=True).update(
                revoked_at=timezone.now()
            )
        if staff.email != old_email:
            # Told at the address they had, whoever they are: a changed address is how an
            # account is taken over (a reset link then goes to the new one). The senior
            # accounts' changes go to the chair and the DSL too.
            _tell(
                DutyChange(
                    school=staff.school,
                    actor=actor,
                    staff=staff,
                    what="email address changed",
                    tell_at=old_email,
                    to_overseers=bool(held & roles.SENIOR_ACCOUNT_ROLES),
                )
            )
    return staff


def governance_roles_set(
    *, actor: Staff | None, staff: Staff, roles_held: Iterable[str], operator: str = ""
) -> Staff:
    """The chair of governors gives or takes away the governance roles (chair of governors,
    governor); `actor` None is the installation's `assign_chair` command, named by `operator`.
    The person's other roles are left as they are."""
    wanted = set(roles_held)
    if wanted - roles.GOVERNANCE_ROLES:
        raise ValidationError({"roles": "Only the governance roles are given here."})
    with transaction.atomic():
        staff = (
            Staff.objects.select_for_update(of=("self",))
            .select_related("line_manager")
            .get(pk=staff.pk)
        )
        if actor is not None and (
            actor.school_id != staff.school_id or not roles.has_role(actor, Role.CHAIR_OF_GOVERNORS)
        ):
            raise PermissionDenied("Only the chair of governors gives the governance roles.")
        held = _held(staff)
        after = set(
            _check_roles(
                actor,
                (held - roles.GOVERNANCE_ROLES) | wanted,
                held,
                is_self=actor is not None and staff.pk == actor.pk,
            )
        )
        _check_line_manager(None, staff, staff.line_manager, after)
        if after & roles.GOVERNANCE_ROLES and staff.reports.filter(is_active=True).exists():
            raise ValidationError(
                {
                    "roles": f"{staff.full_name} is the line manager of members of staff: give "
                    "them another line manager first, as a governor monitors no staff."
                }
            )
        if after == held:
            return staff
        _set_roles(staff, sorted(after))
        record_duty_changes(
            actor, staff, held, after, staff.line_manager, staff.line_manager, operator=operator
        )
    return staff


def chair_appoint(*, school: School, staff: Staff, operator: str) -> Staff:
    """The installation's operator appoints a school's chair of governors: the first, or a new
    one for recovery (the chair left or lost their account). Any other holder stops being chair.
    No signed-in actor: the audit event names the system and says who ran the command."""
    if staff.school_id != school.pk:
        raise ValidationError("This person is at another school.")
    if not operator.strip():
        raise ValidationError("Say who is running the command (the installation's operator).")
    note = f"by the installation's operator {operator.strip()} (assign_chair)"
    with transaction.atomic():
        others = Staff.objects.filter(
            school=school, role_assignments__role=Role.CHAIR_OF_GOVERNORS
        ).exclude(pk=staff.pk)
        for other in others:
            governance_roles_set(
                actor=None,
                staff=other,
                roles_held=[
                    r for r in _held(other) & roles.GOVERNANCE_ROLES if r != Role.CHAIR_OF_GOVERNORS
                ],
                operator=note,
            )
        governance_roles_set(
            actor=None,
            staff=staff,
            roles_held=[*(_held(staff) & roles.GOVERNANCE_ROLES), Role.CHAIR_OF_GOVERNORS],
            operator=note,
        )
    roles.forget_roles(staff)
    return staff


def _set_roles(staff: Staff, role_values: list[str]) -> None:
    staff.role_assignments.exclude(role__in=role_values).delete()
    have = set(staff.role_assignments.values_list("role", flat=True))
    StaffRole.objects.bulk_create(
        [StaffRole(staff=staff, role=r) for r in role_values if r not in have]
    )
    roles.forget_roles(staff)


def staff_set_active(*, actor: Staff, staff: Staff, active: bool) -> Staff:
    """Deactivate (or reactivate) a member of staff: an inactive account cannot sign in. A
    senior account only the head (the chair, the head's own), and the person is told."""
    if staff.pk == actor.pk and not active:
        raise ValidationError("You cannot deactivate your own account.")
    with transaction.atomic():
        Staff.objects.select_for_update(of=("self",)).filter(pk=staff.pk).first()  # lock the row
        staff.refresh_from_db(fields=["is_active", "leaving_date"])
        held = _held(staff)
        _require_account_editor(actor, staff, held)
        _require_may_change_account(actor, staff, held, "deactivate or reactivate")
        if staff.is_active == active:
            return staff
        if not active:
            _deactivate(actor, staff, held)
            return staff
        if staff.leaving_date and staff.leaving_date <= timezone.localdate():
            raise ValidationError(
                "Their leaving date has passed: clear or change it before reactivating them."
            )
        staff.is_active = True
        staff.save(update_fields=["is_active"])
        audit_record(
            actor=actor,
            school=staff.school,
            action="staff.activate",
            obj=staff,
            from_state="inactive",
            to_state="active",
        )
        if held & roles.SENIOR_ACCOUNT_ROLES:
            _tell(
                DutyChange(
                    school=staff.school,
                    actor=actor,
                    staff=staff,
                    what="account reactivated",
                    tell_at=staff.email,
                )
            )
    return staff


def _deactivate(actor: Staff | None, staff: Staff, held: set[str], *, why: str = "") -> None:
    """End an account inside the caller's transaction, on its locked row: no sign-in by any
    route, every session ended now, open invitations and recovery codes withdrawn. Everything
    the person wrote is kept."""
    staff.is_active = False
    staff.save(update_fields=["is_active"])
    now = timezone.now()
    staff.invitations.filter(accepted_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=now
    )
    codes, _ = StaticToken.objects.filter(device__user=staff).delete()
    sessions = end_sessions(staff)
    ended = [why] if why else []
    if sessions:
        ended.append(f"{sessions} session(s) ended")
    if codes:
        ended.append("recovery codes withdrawn")
    audit_record(
        actor=actor,
        school=staff.school,
        action="staff.deactivate",
        obj=staff,
        from_state="active",
        to_state="inactive",
        reason="; ".join(ended),
    )
    if held & roles.SENIOR_ACCOUNT_ROLES:
        _tell(
            DutyChange(
                school=staff.school,
                actor=actor,
                staff=staff,
                what="account deactivated",
                tell_at=staff.email,
            )
        )


def end_sessions(staff: Staff) -> int:
    """Delete the person's sessions. Sessions are signed blobs keyed by nothing but their own
    key, so the live ones are read; a school has a few hundred at most. (An inactive person's
    session would be refused on its next request anyway: this makes it immediate and certain.)"""
    mine = [
        session.session_key
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if session.get_decoded().get("_auth_user_id") == str(staff.pk)
    ]
    Session.objects.filter(session_key__in=mine).delete()
    return len(mine)


def staff_leavers_deactivate(*, actor: Staff | None, on: dt.date | None = None) -> list[Staff]:
    """Deactivate everyone whose leaving date has come (run daily by `deactivate_leavers`).
    `actor` is None when the system does it on its own."""
    on = on or timezone.localdate()
    ended = []
    due = Staff.objects.filter(is_active=True, leaving_date__lte=on).select_related("school")
    for staff in due:
        with transaction.atomic():
            locked = (
                Staff.objects.select_for_update(of=("self",))
                .select_related("school", "leaving_date_set_by")
                .filter(pk=staff.pk, is_active=True, leaving_date__lte=on)
                .first()
            )
            if locked is None:
                continue
            held = _held(locked)
            setter = locked.leaving_date_set_by
            try:
                _require_may_change_account(setter, locked, held, "set the leaving date of")
            except ValidationError:
                # Set before they took on a senior role, by someone who may not end it now.
                audit_record(
                    actor=actor,
                    school=locked.school,
                    action="staff.leaving_date_held",
                    obj=locked,
                    reason=f"set by {setter.audit_ref if setter else 'nobody'}, who may no "
                    "longer end this account: the headteacher (the chair, for the head or a "
                    "governor) must set it again",
                )
                continue
            _deactivate(actor, locked, held, why="leaving date reached")
            ended.append(locked)
    return ended


# --- Invitations: how a new member of staff gets in (docs/security.md "Signing in") ---------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_for_token(token: str) -> Invitation | None:
    """The invitation a link carries, whatever its state, or None for a link never issued."""
    return (
        Invitation.objects.select_related("staff__school").filter(token_hash=_token_hash(token))
    ).first()


def invite_refusal(actor: Staff, staff: Staff, held: set[str] | None = None) -> str:
    """Why the actor may not send this person an invitation now, in words, or "" if they may:
    what the Invitations page shows in place of the button, and what `invitation_send`
    refuses. `held` are the person's roles, if already loaded."""
    try:
        _require_may_invite(actor, staff, _held(staff) if held is None else held)
    except (PermissionDenied, ValidationError) as error:
        return " ".join(getattr(error, "messages", [str(error)]))
    return _uninvitable(staff, held)


def _uninvitable(staff: Staff, held: set[str] | None = None) -> str:
    if held is None:
        held = _held(staff)
    if not staff.school.password_sign_in and not held & roles.PASSWORD_BREAK_GLASS:
        return (
            f"{staff.school.name} has turned password sign-in off: {staff.full_name} signs in "
            "with their school Microsoft or Google account, and needs no invitation."
        )
    if not staff.is_active:
        return f"{staff.full_name}'s account is deactivated: reactivate it first."
    if staff.has_usable_password():
        return (
            f"{staff.full_name} already has a password. If they have forgotten it, they can use "
            "“Forgot your password?” on the sign-in page."
        )
    return ""


def _require_may_invite(actor: Staff, staff: Staff, held: set[str]) -> None:
    """Inviting lets someone choose the account's password, so it follows who may change the
    account: the people editors, for senior accounts the head, for the head's and the
    governors' the chair of governors."""
    _require_account_editor(actor, staff, held)
    _require_may_change_account(actor, staff, held, "invite")


def invitation_issue(
    actor: Staff | None, staff: Staff, *, replaces: Invitation | None = None
) -> str:
    """Withdraw any open invitation, issue a new link, audit it and email it on commit. Inside
    the caller's transaction, on a locked row. Returns the link (shown to nobody but the demo)."""
    # Renewing their own expired link, a person is not inviting anyone.
    own = actor is not None and actor.pk == staff.pk
    refusal = invite_refusal(actor, staff) if actor is not None and not own else _uninvitable(staff)
    if refusal:
        raise ValidationError(refusal)
    now = timezone.now()
    staff.invitations.filter(accepted_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=now
    )
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        staff=staff,
        token_hash=_token_hash(token),
        sent_to=staff.email,
        sent_by=actor,
        created_at=now,
        expires_at=now + dt.timedelta(days=settings.INVITATION_DAYS),
    )
    audit_record(
        actor=actor,
        school=staff.school,
        action="invitation.send",
        obj=staff,
        reason=f"{invitation.audit_ref} to {staff.email}, expires "
        f"{timezone.localtime(invitation.expires_at):%d/%m/%Y %H:%M}"
        + (f"; replaces {replaces.audit_ref}" if replaces else ""),
    )
    link = mail.site_link(reverse("invitation_accept", args=[token]))
    two_factor = staff.school.require_two_factor_for_all or bool(
        _held(staff) & roles.TWO_FACTOR_ROLES
    )
    mail.send_on_commit(
        mail.account_email(
            school_name=staff.school.name,
            to=staff.email,
            subject="you are invited to Safeguard",
            template="invitation",
            context={
                "first_name": staff.first_name,
                "invited_by": _inviter(actor, staff, replaces),
                "link": link,
                "expires_at": timezone.localtime(invitation.expires_at),
                "two_factor": two_factor,
                "single_sign_on": " or ".join(
                    name
                    for name, configured in (
                        ("Microsoft", staff.school.sso_microsoft_tenant),
                        ("Google", staff.school.sso_google_domain),
                    )
                    if configured
                ),
            },
        )
    )
    return link


def _inviter(actor: Staff | None, staff: Staff, replaces: Invitation | None) -> str:
    """Who the email says added them: whoever sent it, or sent the first one when the person
    renews their own expired link."""
    sender = actor if actor is not None and actor.pk != staff.pk else None
    if sender is None and replaces is not None:
        sender = replaces.sent_by
    return sender.full_name if sender else "The school"


def invitation_send(*, actor: Staff, staff: Staff) -> str:
    """Send (or send again) a member of staff their invitation; an earlier link stops working."""
    with transaction.atomic():
        Staff.objects.select_for_update(of=("self",)).filter(pk=staff.pk).first()  # lock the row
        staff.refresh_from_db()
        return invitation_issue(actor, staff, replaces=staff.invitations.first())


def invitation_revoke(*, actor: Staff, invitation: Invitation) -> Invitation:
    """Withdraw an invitation that has not been used: its link stops working."""
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        staff = invitation.staff
        _require_may_invite(actor, staff, _held(staff))
        if invitation.accepted_at or invitation.revoked_at:
            raise ValidationError("This invitation has already been used or withdrawn.")
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor,
            school=staff.school,
            action="invitation.revoke",
            obj=staff,
            reason=invitation.audit_ref,
        )
    return invitation


def _open_invitation(invitation: Invitation) -> Invitation:
    """The invitation locked, if its link may still be used; otherwise why not, in words."""
    locked = Invitation.objects.select_for_update().select_related("staff__school")
    invitation = locked.get(pk=invitation.pk)
    problem = invitation_problem(invitation)
    if problem:
        raise ValidationError(INVITATION_REFUSALS[problem])
    return invitation


INVITATION_REFUSALS = {
    "accepted": "This invitation has already been used. Sign in with the password you chose, or "
    "use “Forgot your password?” on the sign-in page.",
    "revoked": "This invitation was withdrawn, or replaced by a newer one: use the link in the "
    "newest email, or ask the school office for a new invitation.",
    "expired": "This invitation has expired. You can ask for a new one below.",
    "inactive": "This account has been deactivated. Ask the school office if you think this is "
    "wrong.",
    "single_sign_on": "Your school signs in with its Microsoft or Google accounts, not with "
    "passwords: go to the sign-in page and use the button there.",
}


def invitation_problem(invitation: Invitation) -> str:
    """Why the link cannot be used (a key of INVITATION_REFUSALS), or "" if it can."""
    if not invitation.staff.is_active:
        return "inactive"
    if invitation.sent_to != invitation.staff.email:
        return "revoked"  # their address has changed since: the link went to the old one
    staff = invitation.staff
    if not staff.school.password_sign_in and not _held(staff) & roles.PASSWORD_BREAK_GLASS:
        return "single_sign_on"
    sender = invitation.sent_by
    if sender is not None and sender.pk != staff.pk:
        try:
            _require_may_invite(sender, staff, _held(staff))
        except (PermissionDenied, ValidationError):
            # The sender may no longer invite this person (they took on a senior role since).
            return "revoked"
    status = invitation.status
    return "" if status == "pending" else status


def invitation_accept(*, actor: Staff, invitation: Invitation, password: str) -> Staff:
    """The invited person chooses their password (already checked by Django's validators);
    the link is used up. `actor` is the invited person, whom the link identifies."""
    with transaction.atomic():
        invitation = _open_invitation(invitation)
        staff = invitation.staff
        if actor.pk != staff.pk:
            raise PermissionDenied("This invitation is for someone else.")
        staff.set_password(password)
        staff.save(update_fields=["password"])
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_at"])
        audit_record(
            actor=staff,
            school=staff.school,
            action="invitation.accept",
            obj=staff,
            reason=f"{invitation.audit_ref}; password chosen",
        )
    return staff


def invitation_renew(*, actor: Staff, invitation: Invitation) -> Invitation:
    """The invited person asks for a new link from an expired one: sent to the same address as
    before, never anywhere else, and only once per expired link (it is replaced)."""
    with transaction.atomic():
        Staff.objects.select_for_update(of=("self",)).filter(pk=invitation.staff_id).first()
        invitation = Invitation.objects.select_related("staff__school").get(pk=invitation.pk)
        staff = invitation.staff
        if actor.pk != staff.pk:
            raise PermissionDenied("This invitation is for someone else.")
        if invitation_problem(invitation) != "expired":
            raise ValidationError("Only an expired invitation can be renewed from its link.")
        invitation_issue(staff, staff, replaces=invitation)
        return staff.invitations.get(accepted_at__isnull=True, revoked_at__isnull=True)


def pupil_create(*, actor: Staff, school: School, **fields: Any) -> Pupil:
    _require_people_editor(actor, school)
    pupil = Pupil(school=school, **{k: v for k, v in fields.items() if k in PUPIL_FIELDS})
    pupil.full_clean()
    _check_agreed_modes(pupil)
    with transaction.atomic():
        pupil.save()
        audit_record(
            actor=actor,
            school=school,
            action="pupil.create",
            obj=pupil,
            reason=_agreed(pupil).removeprefix("; ") if pupil.agreed_contact_modes else "",
        )
    return pupil


def _agreed(pupil: Pupil) -> str:
    """The forms of contact the parents agreed to, for the trail: the agreement turns a call or
    text from a school phone into a record rather than a request (004 §11)."""
    return f"; parents agreed to: {', '.join(pupil.agreed_contact_modes) or 'nothing'}"


def pupil_update(*, actor: Staff, pupil: Pupil, **fields: Any) -> Pupil:
    _require_people_editor(actor, pupil.school)
    changed = sorted(k for k, v in fields.items() if k in PUPIL_FIELDS and getattr(pupil, k) != v)
    for key in changed:
        setattr(pupil, key, fields[key])
    pupil.full_clean()
    _check_agreed_modes(pupil)
    with transaction.atomic():
        pupil.save()
        audit_record(
            actor=actor,
            school=pupil.school,
            action="pupil.update",
            obj=pupil,
            reason=f"changed: {', '.join(changed) or 'nothing'}"
            + (_agreed(pupil) if "agreed_contact_modes" in changed else ""),
        )
    return pupil


def _require_same_school(school: School, pupils: Iterable[Pupil], field: str) -> None:
    if any(p.school_id != school.pk for p in pupils):
        raise ValidationError({field: "Choose pupils from this school only."})


def parent_create(
    *, actor: Staff, school: School, children: Iterable[Pupil], **fields: Any
) -> ParentCarer:
    _require_people_editor(actor, school)
    children = list(children)
    if not children:
        raise ValidationError({"children": "Choose at least one pupil."})
    _require_same_school(school, children, "children")
    parent = ParentCarer(school=school, **fields)
    parent.full_clean(exclude=["children"])
    with transaction.atomic():
        parent.save()
        parent.children.set(children)
        audit_record(actor=actor, school=school, action="parent.create", obj=parent)
    return parent


# Notices are the notifications subject's, a layer above this one: it registers its `notify`
# here when Django starts (contacts/apps.py), so a change to people can alert someone at once
# without this subject importing it.
class Notifier(Protocol):
    def __call__(self, *, recipients: Iterable[Staff], message: str, path: str) -> object: ...


_NOTIFIERS: list[Notifier] = []


def register_notifier(notifier: Notifier) -> None:
    """Called from an AppConfig.ready(); registering the same one again changes nothing."""
    if notifier not in _NOTIFIERS:
        _NOTIFIERS.append(notifier)


def _notify(*, recipients: Iterable[Staff], message: str, path: str) -> None:
    if not _NOTIFIERS:
        # A safeguarding alert that silently goes nowhere is worse than an error.
        raise ImproperlyConfigured("No notifier is registered for the people subject.")
    recipients = list(recipients)
    for notifier in _NOTIFIERS:
        notifier(recipients=recipients, message=message, path=path)


def _relative_acknowledgers(relative: StaffRelative) -> QuerySet[Staff]:
    """Everyone who may acknowledge this declaration now (see the selector for who)."""
    school = relative.staff.school
    candidates = Staff.objects.filter(
        school=school, is_active=True, role_assignments__role__in=roles.RELATIVE_ACKNOWLEDGERS
    ).distinct()
    return candidates.filter(
        pk__in=[
            person.pk
            for person in candidates
            if selectors.relatives_acknowledgeable_by(person).filter(pk=relative.pk).exists()
        ]
    )


# A declaration is reviewed a year after it is acknowledged, and every year after.
DECLARATION_REVIEW = dt.timedelta(days=365)


def _clean_contact(relationship: str, contact: str, contact_kinds: Iterable[str]) -> list[str]:
    """The kinds of contact a declaration covers, checked: known kinds, social media only
    within the family, and a standing connection outside the family must say what it involves."""
    kinds = list(dict.fromkeys(contact_kinds))
    unknown = [kind for kind in kinds if kind not in DeclaredContact.values]
    if unknown:
        raise ValidationError({"contact_kinds": "Choose from the kinds of contact listed."})
    family = relationship in FAMILY_RELATIONSHIPS
    if not family and set(kinds) & FAMILY_ONLY_CONTACT:
        raise ValidationError(
            {
                "contact_kinds": "Social media contact with a pupil is only ever covered for "
                "your own family (001 §5.2)."
            }
        )
    if not family and not kinds:
        raise ValidationError(
            {"contact_kinds": "Choose the kinds of contact this connection involves."}
        )
    if not family and not contact.strip():
        raise ValidationError({"contact": "Say what contact this connection involves."})
    return kinds


def _covers(relative: StaffRelative) -> str:
    """The kinds of contact a declaration covers, for its events: the chain covers the events,
    not the declaration, so what was acknowledged stays on the record whatever the row says."""
    return f"; covers: {', '.join(relative.contact_kinds)}" if relative.contact_kinds else ""


def relative_add(
    *,
    actor: Staff,
    staff: Staff,
    pupil: Pupil,
    relationship: str,
    contact: str = "",
    contact_kinds: Iterable[str] = (),
) -> StaffRelative:
    """Declare a relationship between a member of staff and a pupil: family, or a standing
    connection (a child's friend, a neighbour, the same club), with the contact it involves.

    The member of staff may declare their own; the headteacher or administrator anyone's. The
    declaration lifts no rule until it is acknowledged (`relative_acknowledge`), so whoever may
    acknowledge it is told at once.
    """
    if actor.pk != staff.pk:
        _require_people_editor(actor, staff.school)
    _require_same_school(staff.school, [pupil], "pupil")
    relative = StaffRelative(
        staff=staff,
        pupil=pupil,
        relationship=relationship,
        contact=contact.strip(),
        declared_by=actor,
    )
    relative.full_clean(validate_unique=False, validate_constraints=False)
    relative.contact_kinds = _clean_contact(relationship, contact, contact_kinds)
    with transaction.atomic():
        if StaffRelative.objects.filter(staff=staff, pupil=pupil, ended_at__isnull=True).exists():
            raise ValidationError(
                {"pupil": "A relationship with this pupil is already declared: end it first."}
            )
        relative.save()
        audit_record(
            actor=actor,
            school=staff.school,
            action="relative.add",
            obj=relative,
            reason=f"{relative.get_relationship_display()} of {staff.audit_ref}"
            + _covers(relative),
        )
        _notify(
            recipients=_relative_acknowledgers(relative),
            message="A member of staff declared a relationship with a pupil: please acknowledge it",
            path=reverse("relatives_awaiting"),
        )
    return relative


def _relative_locked(actor: Staff, relative: StaffRelative) -> StaffRelative:
    locked = (
        StaffRelative.objects.select_for_update()
        .select_related("staff__school", "pupil")
        .filter(pk=relative.pk)
        .first()
    )
    if locked is None or locked.staff.school_id != actor.school_id:
        raise PermissionDenied("This declaration is not one of your school's.")
    return locked


def _require_acknowledger(actor: Staff, relative: StaffRelative) -> None:
    if not selectors.relatives_acknowledgeable_by(actor).filter(pk=relative.pk).exists():
        raise PermissionDenied(
            "Only the headteacher may do this (the chair of governors when the head is "
            "involved), and never for themself or a declaration of their own."
        )


def _relative_to_decide(actor: Staff, relative: StaffRelative) -> StaffRelative:
    """The declaration, locked, once the actor may acknowledge or decline it now."""
    locked = _relative_locked(actor, relative)
    _require_acknowledger(actor, locked)
    if locked.is_ended:
        raise ValidationError("This declaration has ended.")
    if locked.is_acknowledged:
        raise ValidationError("This declaration was already acknowledged.")
    return locked


def _clean_conditions(conditions: str) -> str:
    limit = StaffRelative._meta.get_field("conditions").max_length or 2000
    if len(conditions) > limit:
        raise ValidationError({"conditions": f"Keep the conditions under {limit} characters."})
    return conditions.strip()


def relative_acknowledge(
    *, actor: Staff, relative: StaffRelative, conditions: str = ""
) -> StaffRelative:
    """Acknowledge a declared relationship, with any conditions: from now on it is a standing
    exemption for the contact it covers, reviewed in a year."""
    conditions = _clean_conditions(conditions)
    with transaction.atomic():
        locked = _relative_to_decide(actor, relative)
        locked.acknowledged_by = actor
        locked.acknowledged_at = timezone.now()
        locked.conditions = conditions
        locked.review_due = timezone.localdate() + DECLARATION_REVIEW
        locked.save(
            update_fields=["acknowledged_by", "acknowledged_at", "conditions", "review_due"]
        )
        audit_record(
            actor=actor,
            school=locked.staff.school,
            action="relative.acknowledge",
            obj=locked,
            reason=f"{locked.get_relationship_display()} of {locked.staff.audit_ref}"
            + _covers(locked)
            + (f"; conditions: {conditions}" if conditions else ""),
        )
        _notify(
            recipients=[locked.staff],
            message="Your declared relationship with a pupil was acknowledged",
            path=reverse("staff_detail", args=[locked.staff_id]),
        )
    return locked


def relative_decline(*, actor: Staff, relative: StaffRelative) -> None:
    """Decline a declared relationship: the declaration is removed and never counted."""
    with transaction.atomic():
        locked = _relative_to_decide(actor, relative)
        audit_record(
            actor=actor,
            school=locked.staff.school,
            action="relative.decline",
            obj=locked,
            reason=f"{locked.pupil.audit_ref} not acknowledged for {locked.staff.audit_ref}",
        )
        told = {locked.staff}
        if locked.declared_by is not None:
            told.add(locked.declared_by)
        _notify(
            recipients=told,
            message="A declared relationship with a pupil was not acknowledged",
            path=reverse("staff_detail", args=[locked.staff_id]),
        )
        locked.delete()


def relative_review(
    *, actor: Staff, relative: StaffRelative, conditions: str = ""
) -> StaffRelative:
    """The yearly review: the acknowledger confirms the declaration stands, with its conditions
    as they now are, and sets the next review a year on."""
    conditions = _clean_conditions(conditions)
    with transaction.atomic():
        locked = _relative_locked(actor, relative)
        _require_acknowledger(actor, locked)
        if locked.is_ended or not locked.is_acknowledged:
            raise ValidationError("Only an acknowledged declaration that stands is reviewed.")
        locked.conditions = conditions
        locked.review_due = timezone.localdate() + DECLARATION_REVIEW
        locked.review_reminded_on = None
        locked.save(update_fields=["conditions", "review_due", "review_reminded_on"])
        audit_record(
            actor=actor,
            school=locked.staff.school,
            action="relative.review",
            obj=locked,
            reason=f"stands until {locked.review_due:%d %b %Y}"
            + (f"; conditions: {conditions}" if conditions else ""),
        )
        _notify(
            recipients=[locked.staff],
            message="Your declared relationship with a pupil was reviewed and stands",
            path=reverse("staff_detail", args=[locked.staff_id]),
        )
    return locked


def relative_end(*, actor: Staff, relative: StaffRelative, reason: str = "") -> StaffRelative:
    """End a declaration: the member of staff (or a people editor for them) says it no longer
    applies, or the acknowledger withdraws it. It stays on both files, ended."""
    reason = reason.strip()
    if len(reason) > 500:
        raise ValidationError({"reason": "Keep the reason under 500 characters."})
    with transaction.atomic():
        locked = _relative_locked(actor, relative)
        if locked.is_ended:
            raise ValidationError("This declaration has already ended.")
        if not selectors.relative_actions(actor, locked).can_end:
            raise PermissionDenied("You cannot end this declaration.")
        locked.ended_at = timezone.now()
        locked.ended_by = actor
        locked.end_reason = reason
        locked.save(update_fields=["ended_at", "ended_by", "end_reason"])
        audit_record(
            actor=actor,
            school=locked.staff.school,
            action="relative.end",
            obj=locked,
            reason=f"{locked.pupil.audit_ref} for {locked.staff.audit_ref}"
            + (f": {reason}" if reason else ""),
        )
        if actor.pk != locked.staff_id:
            _notify(
                recipients=[locked.staff],
                message="A declared relationship with a pupil was ended",
                path=reverse("staff_detail", args=[locked.staff_id]),
            )
    return locked


def relative_reviews_remind(*, today: dt.date | None = None) -> int:
    """Tell the acknowledgers once of each standing declaration whose yearly review is due
    (for cron, with `send_reminders`). Returns how many were reminded."""
    today = today or timezone.localdate()
    due = StaffRelative.objects.filter(
        ended_at__isnull=True, review_due__lte=today, review_reminded_on__isnull=True
    )
    reminded = 0
    for pk in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            locked = (
                StaffRelative.objects.select_for_update()
                .select_related("staff__school")
                .filter(pk=pk, review_reminded_on__isnull=True, ended_at__isnull=True)
                .first()
            )
            if locked is None:
                continue
            locked.review_reminded_on = today
            locked.save(update_fields=["review_reminded_on"])
            audit_record(
                actor=None,
                school=locked.staff.school,
                action="relative.remind",
                obj=locked,
                reason=f"review was due on {locked.review_due:%d %b %Y}",
            )
            _notify(
                recipients=_relative_acknowledgers(locked),
                message="A declared relationship with a pupil is due for its yearly review",
                path=reverse("relatives_awaiting"),
            )
        reminded += 1
    return reminded


def colleague_relationship_declare(
    *, actor: Staff, staff: Staff, colleague: Staff, kind: str
) -> ColleagueRelationship:
    """Declare that two members of staff are relatives, partners or close friends (003 §3).

    Either of them declares it, or whoever edits people. From then on neither manages the
    other, decides the other's requests or manages a concern about the other. If one already
    manages the other, the headteacher is told to give them another line manager.
    """
    if actor.pk != staff.pk:
        _require_people_editor(actor, staff.school)
    if colleague.school_id != staff.school_id or not colleague.is_active:
        raise ValidationError({"colleague": "Choose an active colleague at this school."})
    if colleague.pk == staff.pk:
        raise ValidationError({"colleague": "Choose someone other than yourself."})
    first, second = sorted((staff, colleague), key=lambda person: person.pk)
    pair = ColleagueRelationship(first=first, second=second, kind=kind, declared_by=actor)
    pair.full_clean(validate_unique=False, validate_constraints=False)
    with transaction.atomic():
        if ColleagueRelationship.objects.filter(
            first=first, second=second, ended_at__isnull=True
        ).exists():
            raise ValidationError({"colleague": "This relationship is already declared."})
        pair.save()
        audit_record(
            actor=actor,
            school=staff.school,
            action="colleague.declare",
            obj=pair,
            reason=f"{pair.get_kind_display()}: {first.audit_ref} and {second.audit_ref}",
        )
        _tell_the_pair(
            actor,
            pair,
            "A colleague declared a relationship with you: neither of you manages the other or "
            "decides the other's requests",
            "A colleague declared a relationship with the headteacher: their requests and any "
            "concern about them now come to you",
        )
        if staff.line_manager_id == colleague.pk or colleague.line_manager_id == staff.pk:
            _notify(
                recipients=_people_keepers(staff.school_id, exclude=[staff.pk, colleague.pk]),
                message="Two colleagues who manage one another declared a relationship: give "
                "the one managed another line manager",
                path=reverse("staff_detail", args=[staff.pk]),
            )
    return pair


def _tell_the_pair(
    actor: Staff, pair: ColleagueRelationship, message: str, to_the_chair: str
) -> None:
    """Each of the two learns of a change someone else made to a relationship on their file, so
    a declaration made to choose who oversees someone is seen; and when one of them is the
    head, the chair, who then decides for the other (003 §3)."""
    for person in (pair.first, pair.second):
        if person.pk != actor.pk:
            _notify(
                recipients=[person],
                message=message,
                path=reverse("staff_detail", args=[person.pk]),
            )
    heads = StaffRole.objects.filter(
        staff_id__in=[pair.first_id, pair.second_id], staff__is_active=True, role=Role.HEADTEACHER
    )
    if heads.exists():
        _notify(
            recipients=Staff.objects.filter(
                school_id=pair.first.school_id,
                is_active=True,
                role_assignments__role=Role.CHAIR_OF_GOVERNORS,
            ).exclude(pk__in=[actor.pk, pair.first_id, pair.second_id]),
            message=to_the_chair,
            path=reverse("governance"),
        )


def _people_keepers(school_id: int, *, exclude: Iterable[int]) -> QuerySet[Staff]:
    return (
        Staff.objects.filter(
            school_id=school_id,
            is_active=True,
            role_assignments__role__in=roles.PEOPLE_EDITORS,
        )
        .exclude(pk__in=list(exclude))
        .distinct()
    )


def colleague_relationship_end(
    *, actor: Staff, relationship: ColleagueRelationship
) -> ColleagueRelationship:
    """Whoever edits people, never one of the two, says it no longer applies; it stays on
    file. Ending it lifts the restrictions it puts on the two (003 §3), so neither may lift them
    for themself; both are told, and the chair when one of them is the head."""
    with transaction.atomic():
        locked = (
            ColleagueRelationship.objects.select_for_update()
            .select_related("first__school")
            .get(pk=relationship.pk)
        )
        if locked.first.school_id != actor.school_id:
            raise PermissionDenied("This is not one of your school's.")
        if locked.ended_at is not None:
            raise ValidationError("This relationship has already ended.")
        if not selectors.may_end_colleague_relationship(actor, locked):
            raise PermissionDenied(
                "Only the headteacher or the school administrator ends a declared relationship, "
                "and never their own: ask them."
            )
        locked.ended_at = timezone.now()
        locked.ended_by = actor
        locked.save(update_fields=["ended_at", "ended_by"])
        audit_record(
            actor=actor,
            school=locked.first.school,
            action="colleague.end",
            obj=locked,
            reason=f"{locked.first.audit_ref} and {locked.second.audit_ref}",
        )
        _tell_the_pair(
            actor,
            locked,
            "A relationship with a colleague declared on your file was ended",
            "A declared relationship with the headteacher was ended: who decides for them "
            "goes back to the head",
        )
    return locked


def school_bootstrap(
    *,
    actor: Staff | None,
    name: str,
    head_email: str,
    head_first_name: str,
    head_last_name: str,
    head_password: str | None,
    address: str = "",
    lado_phone: str = "",
    invite_head: bool = False,
) -> Staff:
    """Create a school and its headteacher, who can then add everyone else. Without a password,
    `invite_head` emails the head an invitation to choose one.

    The one write with no signed-in actor: it is run from the command line when a school
    is set up (`create_school`, `load_demo`), so the audit event names the system.
    """
    school = School(name=name, address=address, lado_phone=lado_phone)
    school.full_clean()
    head = Staff(
        school=school,
        email=head_email,
        first_name=head_first_name,
        last_name=head_last_name,
        job_title="Headteacher",
        staff_type="teacher",
    )
    with transaction.atomic():
        school.save()
        head.school = school
        if head_password:
            head.set_password(head_password)
        else:
            head.set_unusable_password()
        head.full_clean()
        head.save()
        _set_roles(head, [Role.HEADTEACHER, Role.LINE_MANAGER])
        audit_record(actor=actor, school=school, action="school.create", obj=school)
        audit_record(
            actor=actor,
            school=school,
            action="staff.create",
            obj=head,
            reason="roles: headteacher, line_manager",
        )
        if invite_head:
            invitation_issue(actor, head)
    return head


SCHOOL_FIELDS = (
    "name",
    "address",
    "lado_phone",
    "child_age",
    "restricted_window_years",
    "exemption_needs_approval",
    "response_days",
    "require_two_factor_for_all",
    "acknowledge_within_minutes",
    "school_day_starts",
    "school_day_ends",
    "retention_disclosure_until_age",
    "retention_staff_retirement_age",
    "retention_allegation_min_years",
    "retention_contact_years_after_leaving",
    "pattern_unplanned_count",
    "pattern_unplanned_days",
    "pattern_gifts_count",
    "pattern_gifts_days",
    "pattern_concerns_count",
    "pattern_concerns_days",
    "concern_open_days",
    "checkpoint_copy_to",
    "report_small_counts",
)


def school_update(*, actor: Staff, school: School, **fields: Any) -> School:
    """The headteacher changes the school's details and the policy settings the rules read."""
    if actor.school_id != school.pk or not roles.has_role(actor, Role.HEADTEACHER):
        raise PermissionDenied("Only the headteacher changes the school's settings.")
    changed = sorted(k for k, v in fields.items() if k in SCHOOL_FIELDS and getattr(school, k) != v)
    for key in changed:
        setattr(school, key, fields[key])
    school.full_clean()
    with transaction.atomic():
        school.save()
        audit_record(
            actor=actor,
            school=school,
            action="school.update",
            obj=school,
            reason=f"changed: {', '.join(changed) or 'nothing'}",
        )
    return school

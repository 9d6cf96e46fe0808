"""Signing in: Django's model backend, loading with the person what every page asks of them.

Every page names the signed-in person's school, checks their roles for the navigation and the
view, counts their unread notices, and (for whoever has not passed a second factor this session)
asks whether they have one. Most pages' selectors also ask which colleagues the person declared
a relationship with, and who declared one with their school's head (003 §3). One query answers
all of it at the start of the request, instead of eight. Each answer is kept only for the
request; a change made during it (roles given, say) drops what it changes, and anything that
reads after a change (a page after a redirect) loads afresh. The two lists of colleagues are
used only by a GET or HEAD (safeguard/core/memo.py): a posted form reads them afresh.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Concat
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from safeguard.audit.selectors import last_change_of
from safeguard.core import roles
from safeguard.core.aggregates import Joined, per_row
from safeguard.core.memo import remember

if TYPE_CHECKING:
    from contacts.people.models import Staff


def _related_colleagues() -> Subquery:
    """The colleagues a person declared a relationship with, as `related_colleague_ids` reads
    them: nearly every page's selectors ask (003 §3)."""
    from contacts.people.models import ColleagueRelationship

    other = Case(When(first_id=OuterRef("pk"), then=F("second_id")), default=F("first_id"))
    pairs = (
        ColleagueRelationship.objects.filter(ended_at__isnull=True)
        .filter(Q(first_id=OuterRef("pk")) | Q(second_id=OuterRef("pk")))
        .order_by()
        .annotate(one=Value(1))
        .values("one")
    )
    return Subquery(pairs.annotate(value=Joined(Cast(other, CharField()))).values("value")[:1])


def _device_ids(model: type[TOTPDevice] | type[StaticDevice]) -> Subquery:
    """The persistent ids of a person's confirmed devices of one kind, as django-otp names them
    ("otp_totp.totpdevice/7")."""
    label = f"{model.model_label()}/"
    named = Concat(Value(label), Cast("pk", CharField()), output_field=CharField())
    return per_row(model.objects.filter(confirmed=True), "user", Joined(named))


def _related_to_a_head(side: str, other: str) -> Subquery:
    """The colleagues on the `other` side of a declared relationship whose `side` is an active
    headteacher of the person's school, as `related_to_a_head_ids` reads them (003 §3)."""
    from contacts.people.models import ColleagueRelationship

    pairs = (
        ColleagueRelationship.objects.filter(
            ended_at__isnull=True,
            **{
                f"{side}__school_id": OuterRef("school_id"),
                f"{side}__is_active": True,
                f"{side}__role_assignments__role": roles.Role.HEADTEACHER,
            },
        )
        .order_by()
        .annotate(one=Value(1))
        .values("one")
    )
    return Subquery(
        pairs.annotate(value=Joined(Cast(f"{other}_id", CharField()))).values("value")[:1]
    )


def staff_for_requests() -> QuerySet[Staff]:
    """Staff with their school, roles, unread notices, confirmed second factors, related
    colleagues, the colleagues related to their school's head, and the version of their
    school's data (`last_change`)."""
    from contacts.notifications.models import Notification
    from contacts.people.models import StaffRole

    return (
        get_user_model()
        ._default_manager.select_related("school")
        .annotate(
            roles_on_load=per_row(StaffRole.objects.all(), "staff", Joined("role")),
            unread_on_load=Coalesce(
                per_row(
                    Notification.objects.filter(read_at__isnull=True),
                    "recipient",
                    # COUNT(*), not of a column: answered from the recipient's index alone.
                    Count("*"),
                ),
                0,
                output_field=IntegerField(),
            ),
            totp_on_load=_device_ids(TOTPDevice),
            static_on_load=_device_ids(StaticDevice),
            colleagues_on_load=_related_colleagues(),
            head_first_on_load=_related_to_a_head("first", "second"),
            head_second_on_load=_related_to_a_head("second", "first"),
            # The school's data version as of this statement, so that panels kept under it are
            # never worked out from roles or relationships older than it (the dashboard).
            changes_on_load=last_change_of(OuterRef("school_id")),
        )
    )


class StaffBackend(ModelBackend):
    def get_user(self, user_id: Any) -> Staff | None:
        try:
            user = staff_for_requests().get(pk=user_id)
        except get_user_model().DoesNotExist:
            return None
        if not self.user_can_authenticate(user):
            return None
        # The cache safeguard.core.roles.roles_of keeps for the request (forget_roles drops it).
        # Neither is a field: roles_on_load is annotated above, the cache set here.
        held = {r for r in (user.roles_on_load or "").split(",") if r}  # type: ignore[attr-defined]
        user._roles_cache = frozenset(held) | roles.IMPLICIT  # type: ignore[attr-defined]
        # Kept for this page view only (safeguard/core/memo.py), as the selectors would read them.
        from contacts.people.selectors import related_colleague_ids, related_to_a_head_ids

        # What the person's confirmed second factors are, for two_factor_enabled_on_load and for
        # the session's device (OTPFromLoad).
        user.devices_on_load = frozenset(  # type: ignore[attr-defined]
            name
            for joined in (user.totp_on_load, user.static_on_load)  # type: ignore[attr-defined]
            for name in (joined or "").split(",")
            if name
        )
        remember(related_colleague_ids, user.pk, value=_ids(user.colleagues_on_load))  # type: ignore[attr-defined]
        related_to_head = _ids(user.head_first_on_load) | _ids(user.head_second_on_load)  # type: ignore[attr-defined]
        remember(related_to_a_head_ids, user.school_id, value=related_to_head)
        return user


def _ids(joined: str | None) -> frozenset[int]:
    """Ids joined with commas (`Joined`), or None for none."""
    return frozenset(int(pk) for pk in (joined or "").split(",") if pk)

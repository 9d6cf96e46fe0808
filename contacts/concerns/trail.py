"""What the audit trail keeps from its readers about concerns, registered with safeguard.audit
at start-up (contacts' AppConfig.ready): the audit package imports nothing of contacts."""

from typing import Any

from contacts.concerns.models import BoundaryConcern, LadoReferral
from contacts.concerns.selectors import concerns_visible_to, route_now
from contacts.concerns.services import is_case_manager
from contacts.people import selectors as people_selectors
from safeguard.audit.selectors import ObjectKey, TrailPrivacy

CONCERN_TYPE = BoundaryConcern._meta.label_lower
LADO_TYPE = LadoReferral._meta.label_lower


def withheld_reporters(user: Any) -> dict[ObjectKey, int]:
    """Confidential concerns of the user's school whose reporter the user may not know:
    {(CONCERN_TYPE, concern id): reporter id}. Empty for the case manager.

    The events those reporters wrote about those concerns (raising it, opening its page)
    must show "Name withheld". A few queries, however many concerns there are: whether
    someone manages a concern depends only on the route it goes by now and whether they are its
    subject or declared a relationship with its subject.
    """
    concerns = BoundaryConcern.objects.filter(school_id=user.school_id, confidential=True).only(
        "pk", "school_id", "route", "subject_id", "reporter_id", "whistleblowing"
    )
    related_to_head = people_selectors.related_to_a_head_ids(user.school_id)
    conflicted = {user.pk, *people_selectors.related_colleague_ids(user.pk)}
    # Who manages one depends on its route now and whether the reader is its subject or related
    # to them; for one sent by the whistleblowing route, on who its subject is.
    manages: dict[tuple[str, bool, int | bool], bool] = {}
    withheld: dict[ObjectKey, int] = {}
    for concern in concerns:
        if concern.reporter_id == user.pk:
            continue
        key = (
            route_now(concern, related_to_head),
            concern.whistleblowing,
            concern.subject_id if concern.whistleblowing else concern.subject_id in conflicted,
        )
        if key not in manages:
            manages[key] = is_case_manager(user, concern)
        if not manages[key]:
            withheld[(CONCERN_TYPE, str(concern.pk))] = concern.reporter_id
    return withheld


def hidden_from(user: Any) -> dict[str, list[str]]:
    """Boundary concerns and LADO referrals about the user themself (the selectors never show
    a person a concern or referral about them, and the trail must not give away that one
    exists), except a self-referral or a referral they recorded."""
    concerns = BoundaryConcern.objects.filter(school_id=user.school_id, subject_id=user.pk)
    referrals = LadoReferral.objects.filter(school_id=user.school_id, subject_id=user.pk)
    # Those sent by the whistleblowing route, to all but whoever receives them (003 §6): school
    # management must not learn, even from the trail, that one was sent.
    whistleblown = BoundaryConcern.objects.filter(
        school_id=user.school_id, whistleblowing=True
    ).exclude(pk__in=concerns_visible_to(user).values("pk"))
    hidden = {
        CONCERN_TYPE: concerns.exclude(reporter_id=user.pk) | whistleblown,
        LADO_TYPE: referrals.exclude(recorded_by_id=user.pk),
    }
    return {
        kind: [str(pk) for pk in rows.values_list("pk", flat=True)] for kind, rows in hidden.items()
    }


CONCERNS_PRIVACY = TrailPrivacy(withheld=withheld_reporters, hidden=hidden_from)

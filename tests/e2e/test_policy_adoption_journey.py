"""A reviewed policy is adopted by its signatories, then read by staff: the head adds version 2
and signs it, the chair is told and signs it, and only then is the teacher asked to read it;
until then version 1 stays in force."""

import datetime as dt

from django.utils import timezone

from policies import services
from policies.models import PolicyVersion
from safeguard.core.roles import Role
from tests.factories_policies import adopt

REVISED = "Staff keep clear professional boundaries, and record every lift they give."


def test_a_reviewed_policy_is_adopted_by_the_head_and_the_chair_then_read(
    people, school, head, chair, teacher
):
    today = timezone.localdate()
    policy = services.policy_create(
        actor=head,
        school=school,
        title="Safer working practice",
        owner_role=Role.HEADTEACHER,
        summary="Keep clear professional boundaries with pupils.",
        last_reviewed=today - dt.timedelta(days=400),
        next_review=today - dt.timedelta(days=35),
        text="Staff keep clear professional boundaries.",
    )
    services.policy_acknowledge(actor=teacher, version=adopt(policy.versions.get()))

    helen = people(head)
    helen.open(f"/policies/{policy.pk}/")
    helen.click("New version", role="link")
    helen.field("Last reviewed").fill(today.isoformat())
    helen.field("Next review due").fill((today + dt.timedelta(days=365)).isoformat())
    helen.field("Policy text").fill(REVISED)
    helen.field("What changed").fill("Annual review: lifts.")
    helen.click("Save")
    helen.sees("Version 2 was added", "Version 2 Awaiting signatures", REVISED)
    helen.sees("Chair of governors: not signed")
    helen.click("Sign version 2")
    helen.sees("You signed version 2: it is adopted once its other signatories sign it.")
    helen.sees(f"Headteacher: signed by {head.full_name}")

    tom = people(teacher)
    tom.follow("Policies")
    tom.sees("Version 2 awaits signatures")
    tom.does_not_see("Please read")

    robert = people(chair)
    robert.follow("Notifications")
    robert.follow("Version 2 of the policy “Safer working practice” awaits your signature")
    robert.sees(REVISED, "Version 2 Awaiting signatures")
    robert.click("Sign version 2")
    robert.sees("You signed version 2: it is now adopted and in force.", "Version 2 In force")
    assert PolicyVersion.objects.get(policy=policy, number=2).adopted_at is not None

    tom.follow("Policies")
    tom.sees("Please read")
    tom.follow("Safer working practice")
    tom.sees("Please read version 2 of this policy, then confirm.", REVISED)
    tom.click("I have read this version")
    tom.sees("Thank you: your confirmation is recorded.")

"""factory-boy factories for policy documents. They write rows directly, without the services
(and so without audit events): use them to set the scene, and the services for what is tested."""

import datetime as dt

import factory
from django.utils import timezone

from contacts.people.models import Staff
from policies import services
from policies.models import Acknowledgement, Policy, PolicyClause, PolicyVersion
from safeguard.core.roles import Role
from tests.factories import SchoolFactory, StaffFactory


class PolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Policy

    school = factory.SubFactory(SchoolFactory)
    title = factory.Sequence(lambda n: f"Test policy {n}")
    owner_role = Role.HEADTEACHER
    summary = "What the policy asks of staff."
    requires_acknowledgement = True


class PolicyVersionFactory(factory.django.DjangoModelFactory):
    """Version 1, reviewed a month ago and due again in eleven months, with pasted text; in
    force, as a version published before signatures were recorded is (`awaiting=True` for one
    that nobody has adopted yet)."""

    class Meta:
        model = PolicyVersion

    policy = factory.SubFactory(PolicyFactory)
    number = 1
    last_reviewed = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=30))
    next_review = factory.LazyAttribute(lambda v: v.last_reviewed + dt.timedelta(days=365))
    text = factory.LazyAttribute(lambda v: f"Text of version {v.number}.")
    document = ""
    document_name = ""
    change_note = ""
    adopted_at = factory.LazyFunction(timezone.now)
    adopted_unsigned = True

    class Params:
        awaiting = factory.Trait(adopted_at=None, adopted_unsigned=False)


class PolicyClauseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PolicyClause

    policy = factory.SubFactory(PolicyFactory)
    clause = "work_contact.approval"


class AcknowledgementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Acknowledgement

    version = factory.SubFactory(PolicyVersionFactory)
    staff = factory.SubFactory(
        StaffFactory, school=factory.SelfAttribute("..version.policy.school")
    )


def adopt(version: PolicyVersion) -> PolicyVersion:
    """Every signatory of the version signs it through the service, the school's first active
    holder of each role (one is made when the school has none)."""
    school = version.policy.school
    for place in version.signatures.filter(signed_by__isnull=True):
        signer = (
            Staff.objects.filter(school=school, is_active=True, role_assignments__role=place.role)
            .order_by("pk")
            .first()
        ) or StaffFactory(school=school, roles=[place.role])
        version = services.policy_version_sign(actor=signer, version=version)
    return version

"""factory-boy factories for policy documents. They write rows directly, without the services
(and so without audit events): use them to set the scene, and the services for what is tested."""

import datetime as dt

import factory
from django.utils import timezone

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
    """Version 1, reviewed a month ago and due again in eleven months, with pasted text."""

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

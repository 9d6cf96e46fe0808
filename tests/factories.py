"""factory-boy factories. Personas (head, teacher, governor, ...) are fixtures in conftest.py."""

import datetime as dt

import factory
from django.utils import timezone

from contacts.people.models import ParentCarer, Pupil, Staff, StaffRelative, StaffRole
from safeguard.core.models import School

TEST_PASSWORD = "correct-horse-battery-staple"


class SchoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = School

    name = factory.Sequence(lambda n: f"Test School {n}")
    lado_phone = "01632 960 000"


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Staff
        skip_postgeneration_save = True

    school = factory.SubFactory(SchoolFactory)
    email = factory.Sequence(lambda n: f"staff{n}@school.example")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    job_title = "Class teacher"
    password = factory.django.Password(TEST_PASSWORD)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            StaffRole.objects.bulk_create([StaffRole(staff=self, role=r) for r in extracted])


class PupilFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pupil

    school = factory.SubFactory(SchoolFactory)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    date_of_birth = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=13 * 365))
    admission_date = factory.LazyAttribute(lambda p: p.date_of_birth + dt.timedelta(days=11 * 365))
    leaving_date = None
    year_group = 8


class ParentCarerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ParentCarer
        skip_postgeneration_save = True

    school = factory.SubFactory(SchoolFactory)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    relationship = "Mother"

    @factory.post_generation
    def children(self, create, extracted, **kwargs):
        if create and extracted:
            self.children.set(extracted)


class StaffRelativeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffRelative

    staff = factory.SubFactory(StaffFactory)
    pupil = factory.SubFactory(PupilFactory, school=factory.SelfAttribute("..staff.school"))
    relationship = "child"

    class Params:
        # A declaration lifts no rule until someone else has acknowledged it.
        acknowledged = factory.Trait(
            acknowledged_by=factory.SubFactory(
                StaffFactory, school=factory.SelfAttribute("..staff.school")
            ),
            acknowledged_at=factory.LazyFunction(timezone.now),
        )

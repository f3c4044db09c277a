"""factory_boy factories for visits, visit tasks and resident requests."""

import datetime

import factory
from django.utils import timezone

from tests.factories import HouseholdFactory, UserFactory
from visits import kinds
from visits.models import ResidentRequest, Visit, VisitTask


class VisitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Visit

    household = factory.SubFactory(HouseholdFactory)
    logged_by = factory.SubFactory(UserFactory)
    visited_at = factory.LazyFunction(timezone.now)
    purposes = factory.LazyFunction(lambda: [Visit.Purpose.ROUTINE])
    outcome = Visit.Outcome.MET


class VisitTaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VisitTask

    household = factory.SubFactory(HouseholdFactory)
    kind = kinds.ROUTINE
    earliest_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=7))
    due_on = factory.LazyFunction(timezone.localdate)


class ResidentRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ResidentRequest

    household = factory.SubFactory(HouseholdFactory)
    category = ResidentRequest.Category.REPAIR
    description = "楼道灯不亮"
    urgency = ResidentRequest.Urgency.NORMAL
    due_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=1))
    created_by = factory.SubFactory(UserFactory)

import pytest
from django.urls import reverse

from tests.visits.factories import ResidentRequestFactory, VisitFactory, VisitTaskFactory
from visits.models import VisitPolicy

pytestmark = pytest.mark.django_db


def test_admin_pages_for_visits_load(client_for, admin_user, household):
    VisitFactory(household=household)
    VisitTaskFactory(household=household)
    request = ResidentRequestFactory(household=household)
    request.advance("accepted", by=admin_user, note="受理")
    client = client_for(admin_user)
    for url in (
        reverse("admin:visits_visitpolicy_changelist"),
        reverse("admin:visits_visit_changelist"),
        reverse("admin:visits_visittask_changelist") + "?overdue=yes",
        reverse("admin:visits_visittask_changelist") + "?overdue=no&state=open",
        reverse("admin:visits_residentrequest_changelist"),
        reverse("admin:visits_residentrequest_change", args=[request.pk]),
        reverse("admin:visits_residentrequest_history", args=[request.pk]),
    ):
        assert client.get(url).status_code == 200, url


def test_policy_intervals_are_editable_in_the_changelist(client_for, admin_user):
    policies = list(VisitPolicy.objects.order_by("pk"))
    data = {
        "form-TOTAL_FORMS": str(len(policies)),
        "form-INITIAL_FORMS": str(len(policies)),
        "_save": "保存",
    }
    for i, policy in enumerate(policies):
        data[f"form-{i}-id"] = policy.pk
        data[f"form-{i}-interval_days"] = 45 if policy.priority_group_id is None else policy.interval_days
        data[f"form-{i}-revisit_days"] = policy.revisit_days
    response = client_for(admin_user).post(reverse("admin:visits_visitpolicy_changelist"), data)
    assert response.status_code == 302
    assert VisitPolicy.objects.get(priority_group=None).interval_days == 45

"""No input makes a 500: each finding of the attack as a test, then forms and query parameters fuzzed.

A page given input it cannot use answers with a form error, a 400 or a 404 (or the admin's redirect), never a
server error. The fuzzed tests draw a bounded number of examples (`FUZZ`), so the suite stays within CI's budget.
"""

import datetime
import uuid

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.admin import SEARCH_WORDS
from core.parsing import parse_id
from heating.models import BuildingSupply, HeatingCompany, HeatingSeason
from households.admin import HouseholdAdmin

FUZZ = settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# What an attacker (or a bad copy and paste) sends where an id or a word is expected.
ODD = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "a\x00b",
        "²",
        "1²",
        "٣",
        "-1",
        "0",
        "1.5",
        "1e3",
        "9223372036854775808",
        "99999999999999999999999999",
        "<script>alert(1)</script>",
        "' OR 1=1 --",
        "%",
        "_",
        "\\",
        "😀",
        "x" * 300,
        " 7 ",
        "2026-02-30",
        "true",
    ]
)
VALUES = st.one_of(ODD, st.text(max_size=40), st.integers(min_value=-(2**70), max_value=2**70).map(str))


def params(*names):
    """Any subset of the query parameters `names`, each with any value."""
    return st.fixed_dictionaries({}, optional=dict.fromkeys(names, VALUES))


# --- the findings, one by one ------------------------------------------------------------------------------

PICKERS = ["household_list", "visit_create", "request_create", "inspection_create"]


@pytest.mark.parametrize("url_name", PICKERS)
@pytest.mark.parametrize("query", ["\x00", "王\x00", "\x00 3-2"])
def test_a_nul_byte_in_the_search_is_a_400(quiet_client, grid_worker, household, url_name, query):
    response = quiet_client(grid_worker).get(reverse(url_name), {"q": query})

    assert response.status_code == 400


@pytest.mark.parametrize(
    ("url_name", "parameter"),
    [
        ("visit_create", "household"),
        ("request_create", "household"),
        ("inspection_create", "household"),
        ("visittask_list", "building"),
        ("visittask_list", "grid"),
        ("visittask_list", "worker"),
        ("visit_sheet", "building"),
        ("visit_backfill", "building"),
        ("ticket_export", "company"),
    ],
)
@pytest.mark.parametrize("value", ["²", "1²", "٣"])
def test_superscript_digits_in_an_id_are_not_an_id(quiet_client, cadre, household, url_name, parameter, value):
    response = quiet_client(cadre).get(reverse(url_name), {parameter: value})

    assert response.status_code in (200, 404)
    assert response.status_code == 404 or parameter in ("building", "grid", "worker")


def test_superscript_digits_in_the_admins_grid_filter_are_not_a_grid(quiet_client, admin_user, building):
    response = quiet_client(admin_user).get(reverse("admin:grids_building_changelist"), {"grid__id__exact": "²"})

    assert response.status_code in (200, 302)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("12", 12), (" 12 ", 12), ("²", None), ("٣", None), ("-1", None), ("0", None), ("", None), (None, None)],
)
def test_parse_id_reads_ascii_digits_only(raw, expected):
    assert parse_id(raw) == expected
    assert parse_id(str(2**63)) is None


@pytest.mark.parametrize("url_name", ["login", "admin:login"])
def test_an_over_long_username_is_a_failed_sign_in(quiet_client, grid_worker, url_name):
    response = quiet_client().post(reverse(url_name), {"username": "x" * 300, "password": "pw-test-2026"})

    assert response.status_code == 200
    assert "_auth_user_id" not in response.wsgi_request.session


@pytest.mark.parametrize(
    "url_name", ["admin:households_household_export", "admin:households_resident_export", "admin:grids_grid_export"]
)
@pytest.mark.parametrize("query", ["nosuchfield=1", "building__id__exact=%C2%B2", "o=x&q=%C2%B2"])
def test_the_admin_export_with_an_unknown_filter_is_a_400(quiet_client, admin_user, household, url_name, query):
    response = quiet_client(admin_user).get(f"{reverse(url_name)}?{query}")

    assert response.status_code == (200 if query.startswith("o=") else 400)


@pytest.mark.parametrize(
    "url_name", ["admin:households_resident_changelist", "admin:visits_visit_changelist", "admin:grids_grid_changelist"]
)
def test_an_admin_search_reads_a_bounded_number_of_words(client_for, admin_user, household, url_name):
    words = " ".join(f"w{i}" for i in range(200))

    with CaptureQueriesContext(connection) as queries:
        response = client_for(admin_user).get(reverse(url_name), {"q": words})

    assert response.status_code == 200
    searched = " ".join(query["sql"] for query in queries)
    assert f"w{SEARCH_WORDS - 1}%" in searched and f"w{SEARCH_WORDS}%" not in searched


@pytest.mark.skipif(connection.vendor != "postgresql", reason="statement_timeout is PostgreSQL's")
def test_a_search_running_past_its_time_is_stopped_with_a_message(client_for, admin_user, household, monkeypatch):
    monkeypatch.setattr("core.admin.CHANGELIST_SECONDS", 0.05)
    slow = ["pg_sleep(0.2) IS NOT NULL"]
    monkeypatch.setattr(
        HouseholdAdmin,
        "get_search_results",
        lambda self, request, queryset, term: (queryset.extra(where=slow) if term else queryset, False),
    )
    client = client_for(admin_user)

    response = client.get(reverse("admin:households_household_changelist"), {"q": "wang"})
    followed = client.get(response["Location"])

    assert response.status_code == 302
    assert "查询用时过长" in followed.text


# --- fuzzed query parameters of the main pages ---------------------------------------------------------------

PAGES = [
    ("household_list", ["q", "page"]),
    ("visit_create", ["household", "q"]),
    ("request_create", ["household", "q"]),
    ("inspection_create", ["household", "q"]),
    ("visittask_list", ["building", "grid", "worker", "view", "overdue", "backlog", "page"]),
    ("request_list", ["state", "category", "urgency", "overdue", "assignee", "grid", "created_from", "page"]),
    ("ticket_list", ["state", "overdue", "company", "building", "page"]),
    ("ticket_export", ["company"]),
    ("heating_dashboard", ["season", "grid"]),
    ("coverage", ["grid", "matrix", "group"]),
    ("visit_sheet", ["building"]),
    ("visit_backfill", ["building"]),
    ("notification_list", ["page"]),
    ("workbench", ["page", "grid"]),
    ("admin:households_household_changelist", ["q", "o", "p", "status", "building__grid__community__id__exact"]),
    ("admin:households_resident_changelist", ["q", "o", "p", "gender", "household__building__grid__id__exact"]),
    ("admin:visits_visit_changelist", ["q", "o", "p", "outcome", "visited_at__gte", "_facets"]),
    ("admin:households_household_export", ["q", "status", "o"]),
    ("admin:grids_building_changelist", ["q", "o", "coverage", "grid__id__exact", "grid__community__id__exact"]),
]


@pytest.fixture
def cadre_client(quiet_client, staff_cadre):
    """Signed in once for all of a test's examples, with the export permissions to reach the admin's exports."""
    staff_cadre.user_permissions.add(*Permission.objects.filter(codename__in=["export_household", "export_resident"]))
    return quiet_client(staff_cadre)


@pytest.fixture
def worker_client(quiet_client, grid_worker):
    return quiet_client(grid_worker)


@pytest.mark.parametrize(("url_name", "names"), PAGES)
@FUZZ
@given(query=st.data())
def test_query_parameters_never_make_a_500(cadre_client, household, url_name, names, query):
    response = cadre_client.get(reverse(url_name), query.draw(params(*names)))

    assert response.status_code < 500


# --- fuzzed forms ----------------------------------------------------------------------------------------------


@pytest.fixture
def heated(household, community, building):
    today = timezone.localdate()
    HeatingSeason.objects.create(
        community=community,
        name="本供暖季",
        starts_on=today - datetime.timedelta(days=20),
        ends_on=today + datetime.timedelta(days=100),
    )
    BuildingSupply.objects.create(building=building, company=HeatingCompany.objects.create(name="济宁热力公司"))
    return household


def now_text():
    return timezone.localtime().strftime("%Y-%m-%dT%H:%M")


def fields(valid, *names):
    """The valid form data with any of `names` replaced by any value."""
    return params(*names).map(lambda changed: {**valid, **changed})


def visit_data():
    return {
        "token": str(uuid.uuid4()),
        "visited_at": now_text(),
        "outcome": "met",
        "purposes": ["routine"],
        "problem": "",
        "handling": "",
        "problem_category": "other",
        "req-TOTAL_FORMS": "0",
        "req-INITIAL_FORMS": "0",
    }


@FUZZ
@given(data=st.data())
def test_the_visit_form_answers_any_input_without_a_500(worker_client, household, data):
    posted = data.draw(fields(visit_data(), *visit_data(), "measures", "feedback", "visitors"))

    response = worker_client.post(f"{reverse('visit_create')}?household={household.pk}", posted)

    assert response.status_code < 500


@FUZZ
@given(data=st.data())
def test_the_request_form_answers_any_input_without_a_500(worker_client, household, data):
    valid = {"category": "repair", "urgency": "normal", "channel": "walk_in", "description": "楼道灯不亮"}

    response = worker_client.post(
        f"{reverse('request_create')}?household={household.pk}", data.draw(fields(valid, *valid))
    )

    assert response.status_code < 500


@FUZZ
@given(data=st.data())
def test_the_inspection_form_answers_any_input_without_a_500(worker_client, heated, data):
    valid = {
        "token": str(uuid.uuid4()),
        "inspected_at": now_text(),
        "valve": "open",
        "advice": "",
        "satisfaction": "satisfied",
        "r-TOTAL_FORMS": "1",
        "r-INITIAL_FORMS": "0",
        "r-0-room_type": "bedroom",
        "r-0-label": "主卧",
        "r-0-celsius": "19.5",
        "r-0-measured_at": "10:30",
    }

    response = worker_client.post(
        f"{reverse('inspection_create')}?household={heated.pk}", data.draw(fields(valid, *valid, "faults"))
    )

    assert response.status_code < 500


@FUZZ
@given(data=st.data())
def test_the_household_form_answers_any_input_without_a_500(cadre_client, building, data):
    valid = {
        "building": str(building.pk),
        "unit": "1",
        "floor": "3",
        "room": "302",
        "status": "resident",
        "phone": "13800000000",
        "residents-TOTAL_FORMS": "1",
        "residents-INITIAL_FORMS": "0",
        "residents-0-name": "王芳",
        "residents-0-gender": "female",
        "residents-0-relation": "head",
        "residents-0-id_number": "",
        "residents-0-birth_date": "1970-01-01",
    }

    response = cadre_client.post(
        reverse("admin:households_household_add"), data.draw(fields(valid, *valid, "lead_household", "origin_village"))
    )

    assert response.status_code < 500


@pytest.mark.parametrize("url_name", ["login", "admin:login"])
@FUZZ
@given(data=st.data())
def test_the_sign_in_pages_answer_any_input_without_a_500(client, db, url_name, data):
    client.raise_request_exception = False
    response = client.post(reverse(url_name), data.draw(params("username", "password", "next")))

    assert response.status_code < 500

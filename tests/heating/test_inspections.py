"""The inspection in the home through its pages: the form and its edges, the detail page, the household page's
button and timeline line, the 供暖 request action, scoping per persona and query counts."""

import contextlib
import datetime
import io
import threading
import uuid
import zoneinfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from heating.kinds import RECHECK
from heating.models import BuildingSupply, HeatingInspection, HeatingSeason, HeatingTicket
from heating.services import Reading, record_inspection
from households.models import Household
from tests.factories import HouseholdFactory
from tests.heating.conftest import celsius
from tests.visits.factories import ResidentRequestFactory
from visits.models import ResidentRequest, Visit, VisitTask

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
NEW = reverse("inspection_create")


def form_data(*readings, token=None, inspected_at=None, **fields):
    """A filled-in inspection form; each reading is (room_type, label, celsius)."""
    readings = readings or (("bedroom", "主卧", "18.0"),)
    inspected_at = inspected_at or timezone.localtime().replace(second=0, microsecond=0)
    data = {
        "token": str(token or uuid.uuid4()),
        "inspected_at": inspected_at.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M"),
        "valve": "fully_open",
        "advice": "",
        "satisfaction": "",
        "r-TOTAL_FORMS": str(len(readings)),
        "r-INITIAL_FORMS": "0",
        "r-MIN_NUM_FORMS": "0",
        "r-MAX_NUM_FORMS": "12",
    }
    for i, (room_type, label, value) in enumerate(readings):
        data |= {f"r-{i}-room_type": room_type, f"r-{i}-label": label, f"r-{i}-celsius": value}
    return data | fields


def new_for(household):
    return f"{NEW}?household={household.pk}"


def detail(inspection):
    return reverse("inspection_detail", args=[inspection.pk])


# --- The form ----------------------------------------------------------------------------------------------


def test_form_offers_rows_for_bedrooms_and_the_living_room(client_for, grid_worker, household, heating):
    body = client_for(grid_worker).get(new_for(household)).content.decode()
    assert "主卧" in body and "次卧" in body and "客厅" in body
    assert 'for="id_r-0-celsius"' in body  # every reading's field has its label
    assert "阀门状态" in body and "卡死拧不动" in body


def test_without_household_the_form_offers_the_search(client_for, grid_worker, household, heating):
    response = client_for(grid_worker).get(NEW, {"q": "wyk"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "入户测温" in body
    assert f"{NEW}?household={household.pk}" in body


def test_a_reading_of_17_9_is_cold_and_opens_a_ticket_and_a_recheck(client_for, grid_worker, household, heating):
    response = client_for(grid_worker).post(new_for(household), form_data(("bedroom", "主卧", "17.9")))

    inspection = HeatingInspection.objects.get()
    assert response.status_code == 302 and response["Location"] == detail(inspection)
    assert inspection.below_standard and inspection.lowest_celsius == celsius(17.9)
    assert inspection.ticket.state == HeatingTicket.State.REPORTED
    assert VisitTask.objects.open().filter(household=household, kind=RECHECK).count() == 1
    assert Visit.Purpose.HEATING in inspection.visit.purposes


def test_a_reading_of_18_0_is_warm_and_opens_nothing(client_for, grid_worker, household, heating):
    client_for(grid_worker).post(new_for(household), form_data(("living", "客厅", "18.0")))

    inspection = HeatingInspection.objects.get()
    assert not inspection.below_standard and inspection.ticket is None
    assert not HeatingTicket.objects.exists()
    assert not VisitTask.objects.filter(kind=RECHECK).exists()


def test_a_cold_other_room_alone_is_not_below_standard(client_for, grid_worker, household, heating):
    client_for(grid_worker).post(
        new_for(household), form_data(("bedroom", "主卧", "19.0"), ("other", "卫生间", "12.0"))
    )
    assert not HeatingInspection.objects.get().below_standard


def test_the_form_saves_every_part_of_the_check(client_for, grid_worker, household, heating, png_bytes):
    data = form_data(
        ("bedroom", "主卧", "16.5"),
        ("living", "客厅", "17.0"),
        valve="stuck",
        faults=["narrow_pipe", "air_locked"],
        advice="阀门卡死，已报修；暖气片放气",
        resident_can_fix="",
        satisfaction="basic",
    )
    data["photo"] = SimpleUploadedFile("radiator.png", png_bytes, content_type="image/png")
    client_for(grid_worker).post(new_for(household), data)

    inspection = HeatingInspection.objects.get()
    assert inspection.valve == "stuck" and sorted(inspection.faults) == ["air_locked", "narrow_pipe"]
    assert inspection.advice == "阀门卡死，已报修；暖气片放气" and inspection.satisfaction == "basic"
    assert not inspection.resident_can_fix
    assert [r.label for r in inspection.readings.order_by("id")] == ["主卧", "客厅"]
    assert inspection.visit.photo.name.endswith(".png")


@pytest.mark.parametrize("value", ["-10.1", "40.1", "abc"])
def test_a_reading_out_of_range_is_refused_with_a_chinese_message(client_for, grid_worker, household, heating, value):
    response = client_for(grid_worker).post(new_for(household), form_data(("bedroom", "主卧", value)))

    assert response.status_code == 200
    body = response.content.decode()
    assert "室温应在 -10 ℃ 到 40 ℃ 之间" in body or "请填写数字" in body
    assert not HeatingInspection.objects.exists()


@pytest.mark.parametrize("value", ["-10.0", "40.0"])
def test_the_ends_of_the_range_are_accepted(client_for, grid_worker, household, heating, value):
    client_for(grid_worker).post(new_for(household), form_data(("bedroom", "主卧", value)))
    assert HeatingInspection.objects.count() == 1


def test_a_bedroom_or_living_room_reading_is_required(client_for, grid_worker, household, heating):
    response = client_for(grid_worker).post(new_for(household), form_data(("other", "厨房", "15.0")))

    assert "请至少填写一个卧室或客厅的室温" in response.content.decode()
    assert not HeatingInspection.objects.exists()


def test_rows_left_without_a_temperature_are_ignored(client_for, grid_worker, household, heating):
    data = form_data(("bedroom", "主卧", "19.0"), ("bedroom", "次卧", ""), ("living", "客厅", ""))
    client_for(grid_worker).post(new_for(household), data)
    assert HeatingInspection.objects.get().readings.count() == 1


def test_a_reading_is_timed_on_the_inspections_day(client_for, grid_worker, household, last_winter, company):
    inspected_at = at(last_winter.starts_on + datetime.timedelta(days=3), 10, 0)
    data = form_data(inspected_at=inspected_at) | {"r-0-measured_at": "09:50"}
    client_for(grid_worker).post(new_for(household), data)

    reading = HeatingInspection.objects.get().readings.get()
    assert reading.measured_at == at(inspected_at.date(), 9, 50)


def test_a_reading_timed_later_than_now_is_refused(client_for, grid_worker, household, heating, time_machine):
    Household.objects.filter(pk=household.pk).update(created_at=timezone.now() - datetime.timedelta(days=1))
    time_machine.move_to(at(timezone.localdate(), 10, 0), tick=False)
    data = form_data(inspected_at=at(timezone.localdate(), 9, 55)) | {"r-0-measured_at": "11:30"}

    response = client_for(grid_worker).post(new_for(household), data)

    assert "测量时间不能晚于现在" in response.content.decode()
    assert not HeatingInspection.objects.exists()


def test_a_valve_state_is_required(client_for, grid_worker, household, heating):
    data = form_data()
    del data["valve"]
    response = client_for(grid_worker).post(new_for(household), data)
    assert response.status_code == 200 and not HeatingInspection.objects.exists()


def test_a_double_tap_saves_once(client_for, grid_worker, household, heating):
    client = client_for(grid_worker)
    data = form_data(("bedroom", "主卧", "16.5"))

    first = client.post(new_for(household), data)
    second = client.post(new_for(household), data)

    inspection = HeatingInspection.objects.get()
    assert first["Location"] == second["Location"] == detail(inspection)
    assert Visit.objects.count() == 1


def test_repeated_cold_posts_keep_one_open_ticket_and_one_recheck(client_for, grid_worker, household, heating):
    client = client_for(grid_worker)
    for value in ("16.5", "15.0", "17.0"):
        client.post(new_for(household), form_data(("bedroom", "主卧", value)))

    assert HeatingInspection.objects.count() == 3
    assert HeatingTicket.objects.filter(household=household).count() == 1
    assert VisitTask.objects.open().filter(household=household, kind=RECHECK).count() == 1
    assert set(HeatingInspection.objects.values_list("ticket", flat=True)) == {HeatingTicket.objects.get().pk}


@pytest.mark.django_db(transaction=True)
def test_concurrent_cold_posts_keep_one_open_ticket_and_one_recheck(grid_worker, household, season, company):
    """Two phones post different inspections of one household at once. PostgreSQL runs them concurrently (the
    household's row lock serialises them); SQLite's in-memory test database allows one writer, so there they run
    one after the other."""
    concurrent = connection.vendor == "postgresql"
    start = threading.Barrier(2)
    one_at_a_time = contextlib.nullcontext() if concurrent else threading.Lock()
    statuses, failures = [], []

    def post(value):
        try:
            with one_at_a_time:
                client = Client()
                client.force_login(grid_worker)
                if concurrent:
                    start.wait(timeout=10)
                statuses.append(client.post(new_for(household), form_data(("bedroom", "主卧", value))).status_code)
        except Exception as error:  # noqa: BLE001 — reported below, a thread's exception would be lost
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(value,)) for value in ("16.5", "15.5")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert failures == [] and statuses == [302, 302]
    assert HeatingInspection.objects.filter(household=household).count() == 2
    assert HeatingTicket.objects.filter(household=household).count() == 1
    assert VisitTask.objects.open().filter(household=household, kind=RECHECK).count() == 1


# --- Season edges, no season, no company --------------------------------------------------------------------


@pytest.fixture
def last_winter(community, company, household):
    """An explicit season well in the past (15 Nov – 15 Mar), with the household registered before it."""
    year = timezone.localdate().year - 2
    Household.objects.filter(pk=household.pk).update(created_at=datetime.datetime(year - 1, 1, 1, tzinfo=SHANGHAI))
    household.refresh_from_db()
    return HeatingSeason.objects.create(
        community=community,
        name="往年供暖季",
        starts_on=datetime.date(year, 11, 15),
        ends_on=datetime.date(year + 1, 3, 15),
    )


def at(day, hour, minute):
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=SHANGHAI)


def test_the_seasons_first_and_last_day_are_in_it(client_for, grid_worker, household, last_winter):
    client = client_for(grid_worker)
    for moment in (at(last_winter.starts_on, 0, 0), at(last_winter.ends_on, 23, 59)):
        response = client.post(new_for(household), form_data(inspected_at=moment))
        assert response.status_code == 302

    assert list(HeatingInspection.objects.values_list("season", flat=True)) == [last_winter.pk, last_winter.pk]


@pytest.mark.parametrize("edge", ["before", "after"])
def test_a_day_outside_the_season_is_refused_with_a_chinese_message(
    client_for, grid_worker, household, last_winter, edge
):
    moment = (
        at(last_winter.starts_on - datetime.timedelta(days=1), 23, 59)
        if edge == "before"
        else at(last_winter.ends_on + datetime.timedelta(days=1), 0, 0)
    )
    response = client_for(grid_worker).post(new_for(household), form_data(inspected_at=moment))

    assert response.status_code == 200
    assert "不在供暖季内" in response.content.decode()
    assert not HeatingInspection.objects.exists() and not Visit.objects.exists()


def test_no_season_is_a_form_error_not_a_500(client_for, grid_worker, household, company):
    response = client_for(grid_worker).post(new_for(household), form_data(("bedroom", "主卧", "20.0")))

    assert response.status_code == 200
    assert "不在供暖季内（或尚未设置供暖季）" in response.content.decode()
    assert not Visit.objects.exists()


def test_no_company_is_a_form_error_and_saves_nothing(client_for, grid_worker, household, season):
    response = client_for(grid_worker).post(new_for(household), form_data(("bedroom", "主卧", "15.0")))

    assert response.status_code == 200
    assert "尚未设置供热公司" in response.content.decode()
    assert not Visit.objects.exists() and not HeatingInspection.objects.exists()


def test_a_warm_inspection_needs_no_company(client_for, grid_worker, household, season):
    assert not BuildingSupply.objects.exists()
    response = client_for(grid_worker).post(new_for(household), form_data(("bedroom", "主卧", "20.0")))
    assert response.status_code == 302


# --- A cold re-inspection (service) -------------------------------------------------------------------------


def test_a_cold_reinspection_marks_a_handled_ticket_recheck_failed(heating, household, grid_worker, cadre):
    first, _ = record_inspection(
        household=household, by=grid_worker, readings=[Reading("bedroom", celsius(16.0))], valve="fully_open"
    )
    ticket = first.ticket
    ticket.advance(HeatingTicket.State.ACCEPTED, by=cadre)
    ticket.advance(HeatingTicket.State.HANDLED, by=cadre)

    again, created = record_inspection(
        household=household, by=grid_worker, readings=[Reading("living", celsius(17.5))], valve="fully_open"
    )

    ticket.refresh_from_db()
    assert created and again.ticket == ticket
    assert ticket.state == HeatingTicket.State.RECHECK_FAILED
    assert HeatingTicket.objects.filter(household=household).count() == 1
    assert VisitTask.objects.open().filter(household=household, kind=RECHECK).count() == 1


# --- The detail page ----------------------------------------------------------------------------------------


def test_detail_shows_readings_the_ticket_and_the_recheck(client_for, grid_worker, household, heating):
    client = client_for(grid_worker)
    client.post(new_for(household), form_data(("bedroom", "主卧", "16.5"), ("living", "客厅", "18.5")))
    inspection = HeatingInspection.objects.get()

    body = client.get(detail(inspection)).content.decode()

    assert "16.5 ℃" in body and "18.5 ℃" in body and "低于标准" in body
    assert "济宁热力公司" in body and "已报修" in body
    assert reverse("ticket_detail", args=[inspection.ticket_id]) in body
    assert "供暖复查" in body


def test_detail_of_a_warm_inspection_says_no_ticket(client_for, grid_worker, household, heating):
    client = client_for(grid_worker)
    client.post(new_for(household), form_data(("bedroom", "主卧", "20.0")))
    body = client.get(detail(HeatingInspection.objects.get())).content.decode()
    assert "本次测温无需报修" in body and "达标" in body


def inspect(household, by, *values):
    inspection, _ = record_inspection(
        household=household,
        by=by,
        readings=[Reading("bedroom", celsius(v), label=f"卧室{i}") for i, v in enumerate(values, 1)],
        valve="fully_open",
    )
    return inspection


def queries_for(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_detail_costs_the_same_queries_for_3_and_30_readings(client_for, grid_worker, household, heating):
    client = client_for(grid_worker)
    few = inspect(household, grid_worker, *[16.0] * 3)
    many = inspect(household, grid_worker, *[16.0] * 30)
    queries_for(client, detail(few))  # warm the caches (session, permissions)
    assert queries_for(client, detail(few)) == queries_for(client, detail(many))


# --- Scoping ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["grid_worker", "cadre", "leader"])
def test_staff_in_scope_see_the_inspection(persona, request, client_for, household, heating, grid_worker):
    inspection = inspect(household, grid_worker, 16.5)
    assert client_for(request.getfixturevalue(persona)).get(detail(inspection)).status_code == 200


@pytest.mark.parametrize("persona", ["other_grid_worker", "mediator"])
def test_staff_out_of_scope_get_404_for_the_inspection(persona, request, client_for, household, heating, grid_worker):
    inspection = inspect(household, grid_worker, 16.5)
    client = client_for(request.getfixturevalue(persona))
    assert client.get(detail(inspection)).status_code == 404
    assert client.get(new_for(household)).status_code == 404
    assert client.post(new_for(household), form_data()).status_code == 404


def test_grid_worker_of_other_grid_gets_404(client_for, other_grid_worker, household, heating):
    assert client_for(other_grid_worker).get(new_for(household)).status_code == 404


def test_the_leader_reads_but_may_not_record(client_for, leader, household, heating):
    client = client_for(leader)
    assert client.get(new_for(household)).status_code == 403
    assert client.post(new_for(household), form_data(("bedroom", "主卧", "15.0"))).status_code == 403
    assert not HeatingInspection.objects.exists()


def test_a_cadre_records_inspections_in_the_community(client_for, cadre, other_household, heating):
    response = client_for(cadre).post(new_for(other_household), form_data())
    assert response.status_code == 302


def test_anonymous_user_is_sent_to_login(client, household, heating):
    response = client.get(new_for(household))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


# --- The household page: button and timeline ---------------------------------------------------------------


def household_page(client, household):
    return client.get(reverse("household_detail", args=[household.pk])).content.decode()


def test_the_household_page_offers_the_inspection_to_those_who_may_record(
    client_for, grid_worker, leader, household, heating
):
    assert new_for(household) in household_page(client_for(grid_worker), household)
    assert new_for(household) not in household_page(client_for(leader), household)


def test_an_inspection_is_one_line_on_the_household_timeline(client_for, grid_worker, household, heating):
    client = client_for(grid_worker)
    client.post(new_for(household), form_data(("bedroom", "主卧", "16.5"), ("living", "客厅", "19.0")))
    inspection = HeatingInspection.objects.get()

    body = household_page(client, household)

    assert body.count("入户测温：最低 16.5 ℃，低于标准") == 1
    assert detail(inspection) in body
    assert reverse("visit_detail", args=[inspection.visit_id]) not in body


def test_a_warm_inspection_on_the_timeline_says_so(client_for, grid_worker, household, heating):
    client = client_for(grid_worker)
    client.post(new_for(household), form_data(("bedroom", "主卧", "20.5")))
    assert "入户测温：最低 20.5 ℃，达标" in household_page(client, household)


def test_household_page_costs_the_same_queries_for_3_and_30_inspections(client_for, grid_worker, building, heating):
    client = client_for(grid_worker)
    few, many = HouseholdFactory(building=building, unit=1, room="101"), HouseholdFactory(building=building, unit=1)
    for _ in range(3):
        inspect(few, grid_worker, 16.0)
    for _ in range(30):
        inspect(many, grid_worker, 16.0)
    few_url, many_url = (reverse("household_detail", args=[h.pk]) for h in (few, many))
    queries_for(client, few_url)  # warm the caches (session, permissions)
    assert queries_for(client, few_url) == queries_for(client, many_url)


# --- The 供暖 request action --------------------------------------------------------------------------------


@pytest.fixture
def heating_request(household, grid_worker):
    return ResidentRequestFactory(
        household=household,
        created_by=grid_worker,
        category=ResidentRequest.Category.HEATING,
        description="暖气片不热，室温只有十五度左右",
    )


def request_task_url(resident_request):
    return reverse("request_inspection_task", args=[resident_request.pk])


def test_a_heating_request_shows_the_action(client_for, grid_worker, heating_request):
    body = client_for(grid_worker).get(reverse("request_detail", args=[heating_request.pk])).content.decode()
    assert "安排入户测温" in body and request_task_url(heating_request) in body


def test_other_requests_do_not_show_the_action(client_for, grid_worker, household):
    repair = ResidentRequestFactory(household=household, created_by=grid_worker)
    body = client_for(grid_worker).get(reverse("request_detail", args=[repair.pk])).content.decode()
    assert "安排入户测温" not in body
    assert client_for(grid_worker).post(request_task_url(repair)).status_code == 404


def test_the_action_opens_one_inspection_task_however_often_it_is_posted(client_for, grid_worker, heating_request):
    client = client_for(grid_worker)
    first = client.post(request_task_url(heating_request), follow=True)
    second = client.post(request_task_url(heating_request), follow=True)

    tasks = VisitTask.objects.open().filter(household=heating_request.household, kind=RECHECK)
    assert tasks.count() == 1 and tasks.get().assignee == grid_worker
    assert "已安排入户测温" in first.content.decode()
    assert "该户已有待办的入户测温任务" in second.content.decode()


def test_an_inspection_completes_the_task_the_request_opened(client_for, grid_worker, heating_request, heating):
    client = client_for(grid_worker)
    client.post(request_task_url(heating_request))
    client.post(new_for(heating_request.household), form_data(("bedroom", "主卧", "20.0")))
    assert not VisitTask.objects.open().filter(kind=RECHECK).exists()


def test_the_request_action_is_scoped(client_for, other_grid_worker, leader, mediator, heating_request):
    assert client_for(other_grid_worker).post(request_task_url(heating_request)).status_code == 404
    assert client_for(mediator).post(request_task_url(heating_request)).status_code == 404
    assert client_for(leader).post(request_task_url(heating_request)).status_code == 403
    assert client_for(leader).get(request_task_url(heating_request)).status_code == 405
    assert not VisitTask.objects.filter(kind=RECHECK).exists()


def png():
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def png_bytes(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return png()


def test_a_heating_task_on_the_task_list_opens_the_inspection_form(client_for, grid_worker, household, heating):
    from django.utils import timezone

    from heating.kinds import RECHECK
    from visits.services import open_visit_task

    open_visit_task(household=household, kind=RECHECK, due_on=timezone.localdate(), assignee=grid_worker)

    html = client_for(grid_worker).get(reverse("visittask_list")).content.decode()

    assert f'href="{reverse("inspection_create")}?household={household.pk}"' in html
    assert "入户测温" in html

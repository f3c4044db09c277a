import io
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from tests.visits.factories import ResidentRequestFactory, VisitFactory, VisitTaskFactory
from visits import kinds
from visits.models import ResidentRequest, Visit, VisitTask

pytestmark = pytest.mark.django_db


def new_url(household):
    return f"{reverse('visit_create')}?household={household.pk}"


def visit_data(**overrides):
    data = {
        "token": str(uuid.uuid4()),
        "visited_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "outcome": "met",
        "purposes": ["routine"],
        "problem": "老人身体硬朗",
        "req-TOTAL_FORMS": "2",
        "req-INITIAL_FORMS": "0",
        "req-MIN_NUM_FORMS": "0",
        "req-MAX_NUM_FORMS": "10",
        "req-0-category": "",
        "req-0-urgency": "normal",
        "req-0-description": "",
        "req-1-category": "",
        "req-1-urgency": "normal",
        "req-1-description": "",
    }
    data.update(overrides)
    return data


def test_grid_worker_sees_the_visit_form_with_a_token(client_for, grid_worker, household):
    response = client_for(grid_worker).get(new_url(household))
    assert response.status_code == 200
    assert 'name="token"' in response.text
    assert "居民提出的其他诉求" in response.text


def test_logging_a_visit_saves_it_with_requests_and_completes_the_task(client_for, grid_worker, household):
    task = VisitTaskFactory(household=household, assignee=grid_worker)
    data = visit_data(**{"req-0-category": "heating", "req-0-description": "暖气不热", "req-0-urgency": "urgent"})
    response = client_for(grid_worker).post(new_url(household), data)
    visit = Visit.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("visit_detail", args=[visit.pk])
    assert visit.logged_by == grid_worker
    assert visit.purposes == ["routine"]
    request = ResidentRequest.objects.get()
    assert (request.raised_in, request.channel, request.urgency) == (visit, "visit", "urgent")
    task.refresh_from_db()
    assert task.state == VisitTask.State.DONE


def test_double_submit_creates_one_visit_and_redirects_to_it(client_for, grid_worker, household):
    client = client_for(grid_worker)
    data = visit_data(**{"req-0-category": "repair", "req-0-description": "楼道灯坏了"})
    first = client.post(new_url(household), data)
    second = client.post(new_url(household), data)
    assert Visit.objects.count() == 1
    assert ResidentRequest.objects.count() == 1
    assert first["Location"] == second["Location"]


def test_result_page_lists_the_households_other_open_tasks_and_requests(client_for, grid_worker, household):
    VisitTaskFactory(
        household=household,
        kind=kinds.FOLLOW_UP,
        earliest_on=timezone.localdate() + timezone.timedelta(days=3),
        due_on=timezone.localdate() + timezone.timedelta(days=5),
    )
    ResidentRequestFactory(household=household, description="门前积水")
    client = client_for(grid_worker)
    response = client.post(new_url(household), visit_data(), follow=True)
    assert "回访" in response.text
    assert "门前积水" in response.text


def test_bad_form_shows_a_chinese_error_and_saves_nothing(client_for, grid_worker, household):
    data = visit_data(purposes=[], **{"req-0-category": "heating"})
    response = client_for(grid_worker).post(new_url(household), data)
    assert response.status_code == 200
    assert "这个字段是必填项" in response.text
    assert not Visit.objects.exists()
    assert not ResidentRequest.objects.exists()


def test_photo_is_saved_and_served_only_through_the_checked_view(
    client_for, grid_worker, other_grid_worker, household, png_bytes
):
    photo = SimpleUploadedFile("IMG_0001.PNG", png_bytes, content_type="image/png")
    client = client_for(grid_worker)
    client.post(new_url(household), {**visit_data(), "photo": photo})
    visit = Visit.objects.get()
    assert visit.photo.name.endswith(".png")
    assert "IMG_0001" not in visit.photo.name
    response = client.get(reverse("visit_photo", args=[visit.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == png_bytes
    assert client_for(other_grid_worker).get(reverse("visit_photo", args=[visit.pk])).status_code == 404


def test_text_file_named_jpg_is_rejected(client_for, grid_worker, household):
    fake = SimpleUploadedFile("photo.jpg", b"just some text, not a picture", content_type="image/jpeg")
    response = client_for(grid_worker).post(new_url(household), {**visit_data(), "photo": fake})
    assert response.status_code == 200
    assert "不是有效的图片" in response.text
    assert not Visit.objects.exists()


def test_oversize_image_is_rejected(client_for, grid_worker, household):
    buffer = io.BytesIO()
    Image.effect_noise((1800, 1800), 100).convert("RGB").save(buffer, format="BMP")
    big = buffer.getvalue()
    assert len(big) > 5 * 1024 * 1024
    upload = SimpleUploadedFile("big.jpg", big, content_type="image/jpeg")
    response = client_for(grid_worker).post(new_url(household), {**visit_data(), "photo": upload})
    assert "不能超过 5 MB" in response.text
    assert not Visit.objects.exists()


def test_future_visit_time_is_refused(client_for, grid_worker, household):
    later = (timezone.localtime() + timezone.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client_for(grid_worker).post(new_url(household), visit_data(visited_at=later))
    assert "不能晚于现在" in response.text
    assert not Visit.objects.exists()


def test_other_grids_household_is_404(client_for, other_grid_worker, household):
    client = client_for(other_grid_worker)
    assert client.get(new_url(household)).status_code == 404
    assert client.post(new_url(household), visit_data()).status_code == 404
    assert not Visit.objects.exists()


def test_non_numeric_household_is_404(client_for, grid_worker):
    assert client_for(grid_worker).get(f"{reverse('visit_create')}?household=abc").status_code == 404


def test_leader_cannot_log_a_visit(client_for, leader, household):
    client = client_for(leader)
    assert client.get(new_url(household)).status_code == 403
    assert client.post(new_url(household), visit_data()).status_code == 403
    assert not Visit.objects.exists()


def test_visit_detail_of_other_grid_is_404_but_leader_can_read(client_for, other_grid_worker, leader, household):
    visit = VisitFactory(household=household)
    url = reverse("visit_detail", args=[visit.pk])
    assert client_for(other_grid_worker).get(url).status_code == 404
    response = client_for(leader).get(url)
    assert response.status_code == 200
    assert "记录走访" not in response.text


def test_household_picker_searches_only_my_households(client_for, grid_worker, household, other_household):
    response = client_for(grid_worker).get(reverse("visit_create"), {"q": "wyk"})
    assert f"?household={household.pk}" in response.text
    assert client_for(grid_worker).get(reverse("visit_create"), {"q": "sxx"}).text.count("?household=") == 0


def test_household_page_shows_the_visit_in_its_timeline_and_a_log_button(client_for, grid_worker, household):
    VisitFactory(household=household, logged_by=grid_worker, problem="独居老人一切安好")
    ResidentRequestFactory(household=household, description="下水道堵塞")
    response = client_for(grid_worker).get(reverse("household_detail", args=[household.pk]))
    assert "独居老人一切安好" in response.text
    assert "下水道堵塞" in response.text
    assert f"{reverse('visit_create')}?household={household.pk}" in response.text


def test_leader_sees_no_log_button_on_household_page(client_for, leader, household):
    response = client_for(leader).get(reverse("household_detail", args=[household.pk]))
    assert response.status_code == 200
    assert f"{reverse('visit_create')}?household=" not in response.text


def test_household_picker_answers_htmx_with_a_fragment(client_for, grid_worker, household):
    response = client_for(grid_worker).get(reverse("visit_create"), {"q": "3-2-501"}, HTTP_HX_REQUEST="true")
    assert "<html" not in response.text
    assert f"?household={household.pk}" in response.text


def test_household_page_queries_do_not_grow_with_visits(client_for, grid_worker, household):
    client = client_for(grid_worker)
    url = reverse("household_detail", args=[household.pk])

    def count_queries():
        with CaptureQueriesContext(connection) as ctx:
            client.get(url)
        return len(ctx)

    for _ in range(3):
        VisitFactory(household=household, logged_by=grid_worker)
        ResidentRequestFactory(household=household)
    three = count_queries()
    for _ in range(27):
        VisitFactory(household=household, logged_by=grid_worker)
        ResidentRequestFactory(household=household)
    assert count_queries() == three

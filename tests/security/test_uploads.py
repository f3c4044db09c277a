"""Visit photos: one file for one visit however often it is posted, and no metadata (GPS position) kept."""

import io
import threading
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from PIL.ExifTags import GPS, IFD, Base

from visits.forms import validate_photo
from visits.models import Visit

POSTS = 10


def photo_with_position(image_format="JPEG", size=(40, 20)):
    """A photo as a phone writes it: EXIF with the camera, an orientation (rotate 90°) and a GPS position."""
    exif = Image.Exif()
    exif[Base.Make] = "PhoneMaker"
    exif[Base.Orientation] = 6
    gps = exif.get_ifd(IFD.GPSInfo)
    gps[GPS.GPSLatitudeRef], gps[GPS.GPSLatitude] = "N", (35.0, 24.0, 36.0)
    gps[GPS.GPSLongitudeRef], gps[GPS.GPSLongitude] = "E", (116.0, 35.0, 12.0)
    exif[IFD.GPSInfo] = gps
    output = io.BytesIO()
    Image.new("RGB", size, "red").save(output, image_format, exif=exif.tobytes())
    return output.getvalue()


def visit_post(token, photo_bytes):
    return {
        "token": str(token),
        "visited_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "outcome": Visit.Outcome.MET,
        "purposes": [Visit.Purpose.ROUTINE],
        "req-TOTAL_FORMS": "0",
        "req-INITIAL_FORMS": "0",
        "photo": SimpleUploadedFile("IMG_0001.jpg", photo_bytes, content_type="image/jpeg"),
    }


def stored_files(media_root):
    return [path for path in (media_root / "visits").rglob("*") if path.is_file()]


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_posts_of_one_visit_leave_one_visit_and_one_file(media_root, grid_worker, household):
    token = uuid.uuid4()
    url = f"{reverse('visit_create')}?household={household.pk}"
    photo = photo_with_position()
    start = threading.Barrier(POSTS)
    statuses = []

    def post():
        client = Client()
        client.force_login(grid_worker)
        try:
            start.wait()
            statuses.append(client.post(url, visit_post(token, photo)).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(POSTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [302] * POSTS
    assert Visit.objects.filter(idempotency_key=token).count() == 1
    visit = Visit.objects.get(idempotency_key=token)
    assert [path.name for path in stored_files(media_root)] == [visit.photo.name.rsplit("/", 1)[-1]]


def test_a_saved_photo_has_no_exif_and_stands_upright(client_for, media_root, grid_worker, household):
    response = client_for(grid_worker).post(
        f"{reverse('visit_create')}?household={household.pk}", visit_post(uuid.uuid4(), photo_with_position())
    )

    assert response.status_code == 302
    visit = Visit.objects.get(household=household)
    with Image.open(visit.photo.path) as saved:
        assert dict(saved.getexif()) == {}
        assert "exif" not in saved.info
        assert saved.size == (20, 40)  # turned by its orientation before the orientation was dropped
    assert b"PhoneMaker" not in visit.photo.open("rb").read()


@pytest.mark.parametrize(("image_format", "extension"), [("JPEG", "jpg"), ("PNG", "png"), ("WEBP", "webp")])
def test_every_accepted_format_is_stored_without_metadata(image_format, extension):
    upload = SimpleUploadedFile(f"photo.{extension}", photo_with_position(image_format))

    photo = validate_photo(upload)

    assert photo.name.endswith(f".{extension}")
    with Image.open(photo) as cleaned:
        assert cleaned.format == image_format
        assert dict(cleaned.getexif()) == {}


def test_a_truncated_photo_is_a_form_error(client_for, media_root, grid_worker, household):
    response = client_for(grid_worker).post(
        f"{reverse('visit_create')}?household={household.pk}",
        visit_post(uuid.uuid4(), photo_with_position(size=(400, 300))[:-200]),
    )

    assert response.status_code == 200
    assert "不是有效的图片" in response.text
    assert not Visit.objects.exists()
    assert not (media_root / "visits").exists()

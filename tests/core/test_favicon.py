"""Browsers find the portal's icon: linked from every page and at /favicon.ico (the admin's pages link none)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_favicon_is_linked_and_served(client):
    assert '<link rel="icon" href="/static/favicon.svg"' in client.get(reverse("login")).content.decode()
    response = client.get("/favicon.ico")

    assert response.status_code == 302
    assert response["Location"] == "/static/favicon.svg"

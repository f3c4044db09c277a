"""The "floor" of the load benchmark (bench/load.py): the portal's own layout plus one query, at /bench/floor/.

Mounted only by bench/floor_settings.py — the portal's settings with this URL configuration — so production,
which runs jinjiajiayuan.settings, never serves it. Every page a user lands on is measured against it: what a
page costs beyond the floor is its own work; the floor is what the base layout, the middleware and the context
processors cost.
"""

from functools import cache

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.template import engines
from django.template.response import TemplateResponse
from django.urls import path

from bench.bare_urls import ONE_QUERY
from jinjiajiayuan.urls import urlpatterns as portal_urlpatterns


@cache
def floor_template():
    return engines["django"].from_string(
        '{% extends "base.html" %}{% block content %}<h1 class="h4">Floor</h1><p>{{ grids }}</p>{% endblock %}'
    )


@login_required
def floor(request):
    with connection.cursor() as cursor:
        cursor.execute(ONE_QUERY)
        (grids,) = cursor.fetchone()
    return TemplateResponse(request, floor_template(), {"grids": grids})


urlpatterns = [*portal_urlpatterns, path("bench/floor/", floor)]

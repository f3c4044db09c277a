"""The bare Django page of the load benchmark: one query (the floor's), a small template, no middleware."""

from functools import cache

from django.db import connection
from django.http import HttpResponse
from django.template import engines
from django.urls import path

# The floor page (bench/floor_urls.py) runs the same query.
ONE_QUERY = "SELECT count(*) FROM grids_grid"


@cache
def bare_template():
    return engines["django"].from_string(
        '<!doctype html><html lang="zh-hans"><head><meta charset="utf-8"><title>Bare</title></head>'
        "<body><h1>Bare</h1><p>{{ grids }}</p></body></html>"
    )


def bare(request):
    with connection.cursor() as cursor:
        cursor.execute(ONE_QUERY)
        (grids,) = cursor.fetchone()
    return HttpResponse(bare_template().render({"grids": grids}, request))


urlpatterns = [path("bench/bare/", bare)]

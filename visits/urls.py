from django.urls import path

from . import request_views, sheet_views, views

urlpatterns = [
    path("new/", views.visit_create, name="visit_create"),
    path("<int:pk>/", views.visit_detail, name="visit_detail"),
    path("<int:pk>/photo/", views.visit_photo, name="visit_photo"),
    path("tasks/", views.visittask_list, name="visittask_list"),
    path("sheet/", sheet_views.visit_sheet, name="visit_sheet"),
    path("sheet/entry/", sheet_views.visit_backfill, name="visit_backfill"),
]

# Mounted at /requests/ by the project urls.
request_urlpatterns = [
    path("", request_views.request_list, name="request_list"),
    path("new/", request_views.request_create, name="request_create"),
    path("<int:pk>/", request_views.request_detail, name="request_detail"),
    path("<int:pk>/move/", request_views.request_advance, name="request_advance"),
    path("<int:pk>/check/", request_views.request_schedule_check, name="request_schedule_check"),
]

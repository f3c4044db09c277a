from django.urls import path

from . import views

urlpatterns = [
    path("new/", views.visit_create, name="visit_create"),
    path("<int:pk>/", views.visit_detail, name="visit_detail"),
    path("<int:pk>/photo/", views.visit_photo, name="visit_photo"),
    path("tasks/", views.visittask_list, name="visittask_list"),
    path("sheet/", views.visit_sheet, name="visit_sheet"),
    path("sheet/entry/", views.visit_backfill, name="visit_backfill"),
]

# Mounted at /requests/ by the project urls.
request_urlpatterns = [
    path("", views.request_list, name="request_list"),
    path("new/", views.request_create, name="request_create"),
    path("<int:pk>/", views.request_detail, name="request_detail"),
    path("<int:pk>/move/", views.request_move, name="request_move"),
]

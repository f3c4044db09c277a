from django.urls import path

from . import views

urlpatterns = [
    path("", views.household_list, name="household_list"),
    path("<int:pk>/", views.household_detail, name="household_detail"),
    path("residents/<int:pk>/reveal-id/", views.resident_reveal_id, name="resident_reveal_id"),
    path("grids/", views.grid_list, name="grid_list"),
    path("grids/<int:pk>/", views.building_list, name="building_list"),
    path("buildings/<int:pk>/", views.building_detail, name="building_detail"),
    path("buildings/<int:pk>/units/<int:unit>/", views.unit_detail, name="unit_detail"),
]

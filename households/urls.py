from django.urls import path

from . import views

urlpatterns = [
    path("", views.household_list, name="household_list"),
    path("<int:pk>/", views.household_detail, name="household_detail"),
    path("residents/<int:pk>/reveal-id/", views.resident_reveal_id, name="resident_reveal_id"),
]

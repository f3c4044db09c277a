from django.urls import path

from . import views

urlpatterns = [
    path("", views.dispute_index, name="mediation_index"),
]

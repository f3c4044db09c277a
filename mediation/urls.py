from django.urls import path

from . import views

urlpatterns = [
    path("", views.dispute_index, name="mediation_index"),
    # Dispute pages (views.py)
    # Documents: agreement and case file (documents.py)
    # Follow-ups and watch items (follow_up_views.py)
    # Statistics and the monthly return (statistics.py, exports.py)
]

from django.urls import path

from . import follow_up_views, views, watch_views
from .documents import dispute_agreement, dispute_case_file
from .exports import mediation_return

urlpatterns = [
    path("", views.dispute_index, name="mediation_index"),
    # Dispute pages (views.py)
    path("new/", views.dispute_create, name="dispute_create"),
    path("parties/search/", views.dispute_party_search, name="dispute_party_search"),
    path("from-request/<int:pk>/", views.dispute_from_request, name="dispute_from_request"),
    path("<int:pk>/", views.dispute_detail, name="dispute_detail"),
    path("<int:pk>/advance/", views.dispute_advance, name="dispute_advance"),
    path("<int:pk>/sessions/new/", views.session_create, name="session_create"),
    path("<int:pk>/recuse/", views.dispute_recuse, name="dispute_recuse"),
    path("<int:pk>/assign/", views.dispute_assign, name="dispute_assign"),
    path("<int:pk>/extend/", views.dispute_extend, name="dispute_extend"),
    # Documents: agreement and case file (documents.py)
    path("<int:pk>/agreement/", dispute_agreement, name="dispute_agreement"),
    path("<int:pk>/file/", dispute_case_file, name="dispute_case_file"),
    # Follow-ups and watch items (follow_up_views.py)
    path("follow-ups/<int:pk>/", follow_up_views.followup_record, name="followup_record"),
    path("watch/", watch_views.watch_list, name="watch_list"),
    path("watch/<int:pk>/dismiss/", watch_views.watch_dismiss, name="watch_dismiss"),
    # Statistics and the monthly return (statistics.py, exports.py)
    path("return/", mediation_return, name="mediation_return"),
]

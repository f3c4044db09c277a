from django.urls import path

from . import dashboard, ticket_views, views

urlpatterns = [
    path("", dashboard.heating_dashboard, name="heating_dashboard"),
    path("tickets/", ticket_views.ticket_list, name="ticket_list"),
    path("tickets/export/", ticket_views.ticket_export, name="ticket_export"),
    path("tickets/<int:pk>/", ticket_views.ticket_detail, name="ticket_detail"),
    path("tickets/<int:pk>/advance/", ticket_views.ticket_advance, name="ticket_advance"),
    path("tickets/<int:pk>/reply/", ticket_views.ticket_reply, name="ticket_reply"),
    path("inspections/new/", views.inspection_create, name="inspection_create"),
    path("inspections/<int:pk>/", views.inspection_detail, name="inspection_detail"),
    path("requests/<int:pk>/inspection-task/", views.request_inspection_task, name="request_inspection_task"),
]

from django.urls import path

from . import views

urlpatterns = [
    path("", views.report, name="report"),
    path("print/", views.report_print, name="report_print"),
    path("rows/<slug:section>/<slug:figure>/", views.report_rows, name="report_rows"),
    path("tables/<slug:section>/<slug:table>.xlsx", views.report_table, name="report_table"),
    path("generate/", views.report_generate, name="report_generate"),
    path("stored/<int:pk>/", views.report_progress, name="report_progress"),
    path("stored/<int:pk>/workbook.xlsx", views.stored_workbook, name="stored_workbook"),
    path("stored/<int:pk>/page/", views.stored_page, name="stored_page"),
]

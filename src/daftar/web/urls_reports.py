"""Complaints and citizen reports: the municipality's list and map (see views_reports for who may
see them), and the applicant's follow-up on the case page (add information, reopen)."""

from django.urls import URLPattern, URLResolver, path

from . import views_cases, views_reports

urlpatterns: list[URLPattern | URLResolver] = [
    path("reports/", views_reports.reports_list, name="reports"),
    path("reports/map/", views_reports.reports_map_view, name="reports_map"),
    path("cases/<str:tracking_code>/note/", views_cases.case_note_view, name="case_note"),
    path("cases/<str:tracking_code>/reopen/", views_cases.case_reopen_view, name="case_reopen"),
]

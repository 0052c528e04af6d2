"""Working hours: an office's approved week and its change requests, their review by the municipality,
and the out-of-hours activity flags (see views_hours for who may do what)."""

from django.urls import URLPattern, path

from . import views_hours

urlpatterns: list[URLPattern] = [
    # the office manager
    path("office/hours/", views_hours.office_hours, name="hours_office"),
    # the municipality
    path("supervision/hours/", views_hours.hours_review, name="hours_review"),
    path("supervision/hours/<int:pk>/decide/", views_hours.hours_decide, name="hours_decide"),
    path("supervision/out-of-hours/", views_hours.out_of_hours, name="out_of_hours"),
    path(
        "supervision/out-of-hours/<int:pk>/review/",
        views_hours.out_of_hours_review,
        name="out_of_hours_review",
    ),
]

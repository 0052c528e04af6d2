"""Office licensing: the conditions and calls (public), the staff's calls, exam, interview and site
visit of an application, and the public register of offices."""

from django.urls import URLPattern, URLResolver, path

from . import views_licensing, views_licensing_staff

urlpatterns: list[URLPattern | URLResolver] = [
    path("licensing/", views_licensing.licensing_home, name="licensing"),
    path("licensing/calls/", views_licensing.licence_calls, name="licence_calls"),
    path("licensing/calls/manage/", views_licensing_staff.calls_manage, name="licence_calls_manage"),
    path(
        "licensing/calls/manage/<int:pk>/cancel/",
        views_licensing_staff.call_cancel_view,
        name="licence_call_cancel",
    ),
    path(
        "licensing/applications/<str:tracking_code>/assessments/<str:kind>/schedule/",
        views_licensing_staff.assessment_schedule_view,
        name="licence_assessment_schedule",
    ),
    path(
        "licensing/applications/<str:tracking_code>/assessments/<str:kind>/record/",
        views_licensing_staff.assessment_record_view,
        name="licence_assessment_record",
    ),
    path(
        "licensing/applications/<str:tracking_code>/site-visit/",
        views_licensing_staff.site_visit,
        name="licence_site_visit",
    ),
    path(
        "licensing/applications/<str:tracking_code>/site-visit/photos/<int:pk>/",
        views_licensing_staff.site_visit_photo,
        name="licence_site_visit_photo",
    ),
    path("register/", views_licensing.register, name="register"),
    path("register/<str:office_code>/", views_licensing.register_office, name="register_office"),
]

from django.urls import include, path

from . import views, views_agency, views_cases, views_desk, views_public

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    # bills and payments: citizens (urls_bills), office counters and finance (urls_finance)
    path("", include("daftar.web.urls_bills")),
    path("", include("daftar.web.urls_finance")),
    # appointments (نوبت‌دهی): citizens and the desk
    path("", include("daftar.web.urls_booking")),
    # office licensing (calls, applications, the public register) and supervision of the offices
    path("", include("daftar.web.urls_licensing")),
    path("", include("daftar.web.urls_supervision")),
    path("", include("daftar.web.urls_hours")),
    path("", include("daftar.web.urls_performance")),
    # citizens' reports and complaints: the staff list and map
    path("", include("daftar.web.urls_reports")),
    path("offices/", views.office_finder, name="offices"),
    path("signin/", views.signin, name="signin"),
    path("signin/code/", views.signin_verify, name="signin_verify"),
    path("staff/signin/", views.staff_signin, name="staff_signin"),
    path("staff/signin/code/", views.staff_totp, name="staff_totp"),
    path("staff/two-step/", views.totp_setup, name="totp_setup"),
    path("account/", views.account, name="account"),
    path("signout/", views.signout, name="signout"),
    path("dev/sms/", views.dev_sms, name="dev_sms"),
    # the counter desk
    path("desk/", views_desk.desk, name="desk"),
    path("desk/services/", views_desk.desk_services, name="desk_services"),
    path("desk/services/<str:code>/", views_desk.desk_file, name="desk_file"),
    path("desk/receipt/<str:tracking_code>/", views_desk.desk_receipt, name="desk_receipt"),
    # citizens
    path("services/", views_public.services, name="services"),
    path("services/<str:code>/apply/", views_public.apply, name="apply"),
    path("track/", views_public.track, name="track"),
    path("my/cases/", views_cases.my_cases, name="my_cases"),
    # staff and everyone with a role on a case
    path("inbox/", views_cases.inbox, name="inbox"),
    path("cases/<str:tracking_code>/", views_cases.case_detail, name="case"),
    path("cases/<str:tracking_code>/act/", views_cases.case_act_view, name="case_act"),
    path("cases/<str:tracking_code>/documents/", views_cases.document_upload_view, name="document_upload"),
    path(
        "cases/<str:tracking_code>/documents/<int:pk>/review/",
        views_cases.document_review_view,
        name="document_review",
    ),
    path("cases/<str:tracking_code>/rate/", views_cases.case_rate_view, name="case_rate"),
    path(
        "cases/<str:tracking_code>/inquiries/attachments/<int:pk>/",
        views_cases.inquiry_attachment,
        name="inquiry_attachment",
    ),
    # agency clerks answering inquiries (استعلام)
    path("agency/", views_agency.agency_inbox, name="agency_inbox"),
    path("agency/inquiries/<int:inquiry_id>/", views_agency.agency_inquiry, name="agency_inquiry"),
    path(
        "agency/inquiries/<int:inquiry_id>/documents/<int:document_id>/",
        views_agency.agency_document,
        name="agency_document",
    ),
    path(
        "agency/inquiries/<int:inquiry_id>/attachments/<int:pk>/",
        views_agency.agency_attachment,
        name="agency_attachment",
    ),
]

from django.urls import path

from . import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("offices/", views.office_finder, name="offices"),
    path("signin/", views.signin, name="signin"),
    path("signin/code/", views.signin_verify, name="signin_verify"),
    path("staff/signin/", views.staff_signin, name="staff_signin"),
    path("staff/signin/code/", views.staff_totp, name="staff_totp"),
    path("staff/two-step/", views.totp_setup, name="totp_setup"),
    path("account/", views.account, name="account"),
    path("signout/", views.signout, name="signout"),
    path("dev/sms/", views.dev_sms, name="dev_sms"),
]

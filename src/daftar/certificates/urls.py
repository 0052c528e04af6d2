from django.urls import path

from . import views

app_name = "certificates"

urlpatterns = [
    path("verify/", views.verify_form, name="verify"),
    path("verify/keys.json", views.verify_keys, name="keys"),
    path("verify/<str:number>/", views.verify_detail, name="verify_detail"),
    path("verify/<str:number>/payload.json", views.verify_payload, name="payload"),
    path("certificates/<str:number>.pdf", views.certificate_download, name="pdf"),
]

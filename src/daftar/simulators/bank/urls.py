from django.urls import path

from . import views

app_name = "sandbox_bank"
urlpatterns = [
    path("pay/<str:authority>/", views.pay, name="pay"),
]

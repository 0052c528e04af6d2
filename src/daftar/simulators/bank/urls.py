from django.urls import URLPattern

app_name = "sandbox_bank"
urlpatterns: list[URLPattern] = []

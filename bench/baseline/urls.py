from django.urls import path

from . import views

app_name = "bench_baseline"
urlpatterns = [
    path("insert", views.insert, name="insert"),
    path("read/<int:pk>", views.read, name="read"),
]

"""The queue's pages, included by the site at its root: everything lives under /queue/."""

from django.urls import path

from . import views

app_name = "queueing"

urlpatterns = [
    path("queue/", views.index, name="index"),
    path("queue/<str:office_code>/kiosk/", views.kiosk, name="kiosk"),
    path("queue/<str:office_code>/ticket/<str:token>/", views.ticket, name="ticket"),
    path("queue/<str:office_code>/counter/", views.counter, name="counter"),
    path("queue/<str:office_code>/display/", views.display, name="display"),
    path("queue/<str:office_code>/display.json", views.display_json, name="display_json"),
    path("queue/<str:office_code>/stats/", views.stats, name="stats"),
]

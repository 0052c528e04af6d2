"""Open311 GeoReport v2 at /open311/v2/, its discovery file at /open311/discovery.{xml,json}.

A service code may hold dots (``report.street_light``), so the paths with a code or an id take the
rest of the segment and split the format off its last dot. Anything else under /open311/ is a 404
in the spec's error format.
"""

from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "open311"

urlpatterns: list[URLPattern | URLResolver] = [
    path("discovery.<str:fmt>", views.discovery, name="discovery"),
    path("v2/services.<str:fmt>", views.services, name="services"),
    path("v2/services/<str:rest>", views.service_definition, name="service_definition"),
    path("v2/requests.<str:fmt>", views.requests, name="requests"),
    path("v2/requests/<str:rest>", views.request_one, name="request"),
    path("v2/tokens/<str:rest>", views.token, name="token"),
    path("<path:rest>", views.not_found, name="not_found"),
]

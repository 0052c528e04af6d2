"""Supervising the offices (see views_supervision for who may do what)."""

from django.urls import URLPattern, path

from . import views_supervision as views

urlpatterns: list[URLPattern] = [
    # municipal supervisors, city-scoped (?city=code)
    path("supervision/offices/", views.supervision_offices, name="supervision_offices"),
    path("supervision/offices/<str:code>/", views.supervision_office, name="supervision_office"),
    path("supervision/offices/<str:code>/inspect/", views.supervision_inspect, name="supervision_inspect"),
    path("supervision/offices/<str:code>/sanction/", views.supervision_sanction, name="supervision_sanction"),
    path("supervision/appeals/", views.supervision_appeals, name="supervision_appeals"),
    path(
        "supervision/appeals/<int:pk>/decide/",
        views.supervision_appeal_decide,
        name="supervision_appeal_decide",
    ),
    # the office: its sanctions and appeals
    path("office/sanctions/", views.office_sanctions_view, name="office_sanctions"),
    path("office/sanctions/<int:pk>/appeal/", views.office_sanction_appeal, name="office_sanction_appeal"),
]

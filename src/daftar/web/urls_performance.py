"""How the offices perform: the city's monthly ranking and its Excel file (licensing officer, city
administrator, auditor), and an office's last twelve months (its manager). See views_performance."""

from django.urls import URLPattern, URLResolver, path

from . import views_performance

urlpatterns: list[URLPattern | URLResolver] = [
    path("supervision/performance/", views_performance.performance, name="performance"),
    path("supervision/performance/xlsx", views_performance.performance_export, name="performance_xlsx"),
    path("office/performance/", views_performance.office_performance, name="office_performance"),
]

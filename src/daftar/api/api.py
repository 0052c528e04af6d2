"""REST API v1 (django-ninja). Routers of each app are mounted here; errors share one format."""

from __future__ import annotations

from ninja import NinjaAPI

api = NinjaAPI(title="Daftar API", version="1", urls_namespace="api-v1")

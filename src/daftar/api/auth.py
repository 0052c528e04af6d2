"""Bearer-token authentication for staff and integrations (tokens from accounts.ApiToken)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from daftar.accounts.services import api_token_authenticate


class ApiTokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = api_token_authenticate(secret=token)
        if user is None:
            return None
        request.user = user
        return user

"""Bare endpoints: the whole middleware stack, one query, a small JSON answer."""

from __future__ import annotations

import secrets

from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from .models import BenchRow


@csrf_exempt
@require_POST
def insert(request: HttpRequest) -> JsonResponse:
    row = BenchRow.objects.create(name=f"ردیف {secrets.token_hex(4)}", number=len(request.body))
    return JsonResponse({"id": row.pk}, status=201)


@require_GET
def read(request: HttpRequest, pk: int) -> JsonResponse:
    row = BenchRow.objects.filter(pk=pk).values("id", "name", "number", "created_at").first()
    if row is None:
        raise Http404
    return JsonResponse(row)

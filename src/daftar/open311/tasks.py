"""Background entry points of the Open311 face; they only call services."""

from __future__ import annotations

from celery import shared_task

from .services import open311_request_file, open311_requests_file_pending


@shared_task(name="open311.request_file")
def request_file(request_id: int) -> str:
    """File a deferred request's case (queued after the POST commits); safe to run twice."""
    return open311_request_file(request_id=request_id).status


@shared_task(name="open311.file_pending")
def file_pending() -> int:
    """File deferred requests whose task was lost (beat, every few minutes)."""
    return open311_requests_file_pending()

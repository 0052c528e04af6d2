"""Downloading a case's document. Thin: the selector decides who may see it."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_GET

from .content import download_name
from .selectors import document_for_download


@login_required
@require_GET
def document_download(request: HttpRequest, pk: int) -> FileResponse:
    """The file, as an attachment, to those who may see its case; 404 to everyone else."""
    document = document_for_download(pk=pk, user=request.user)
    if document is None:
        raise Http404
    return file_download(
        document.file, original_name=document.original_name, content_type=document.content_type
    )


def file_download(file: FieldFile, *, original_name: str, content_type: str) -> FileResponse:
    """A stored upload as an inert attachment, named after the uploader's file with its real type's
    extension (shared by every download of an uploaded file: documents, inquiry attachments)."""
    response = FileResponse(
        file.open("rb"),
        as_attachment=True,
        filename=download_name(original_name, content_type),
        content_type=content_type,
    )
    # Never rendered by the browser as anything but the type we detected, and never with scripts.
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = "private, no-store"
    return response

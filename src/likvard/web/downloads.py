"""Documents the pages hand out (a statement, a report, the support report): one response shape
for every app, the type taken from the file name's suffix."""

from __future__ import annotations

from django.http import HttpResponse

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def attachment(content: bytes, filename: str) -> HttpResponse:
    """``content`` as a download named ``filename`` (``….pdf`` or ``….docx``)."""
    response = HttpResponse(content, content_type=CONTENT_TYPES[filename.rsplit(".", 1)[-1]])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response

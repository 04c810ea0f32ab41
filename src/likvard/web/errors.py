"""Server errors: logged with their traceback and a request id the user can quote.

Why an id: a controller who meets an error page can tell the IT desk "request 3f9c2a1b", and
the log line with the traceback carries the same id — without the page showing anything of the
error (which might contain data). The id is set for every request and sent back in the
``X-Request-ID`` header; the development server and gunicorn log through the same logger.
"""

from __future__ import annotations

import contextvars
import logging
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.template import loader

REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on every log record (``%(request_id)s``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = uuid.uuid4().hex[:12]
        token = REQUEST_ID.set(request_id)
        request.request_id = request_id  # type: ignore[attr-defined]
        try:
            response = self.get_response(request)
        finally:
            REQUEST_ID.reset(token)
        response.headers.setdefault("X-Request-ID", request_id)
        return response


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page: what happened in plain words and the id to quote, nothing of the error."""
    template = loader.get_template("500.html")
    # rendered without the request: its context processors read the database, which may be
    # what failed
    return HttpResponseServerError(template.render({"request_id": getattr(request, "request_id", "")}))

"""Content-Security-Policy for every response.

Why: the app shows names and texts that come from imported files; should one ever slip
through escaping, the browser must still refuse to run it. Scripts come only from this origin
(likvard.js and the vendored Vega files; no inline scripts anywhere, no CDN). Two allowances,
both for the charts: ``'unsafe-eval'``, because Vega compiles its expressions with
``Function``, and inline styles, which Vega and vega-embed set on the SVG they draw.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self' 'unsafe-eval'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", POLICY)
        return response


class UploadLimitMiddleware:
    """Refuse a request body larger than ``UPLOAD_MAX_BYTES`` before any of it is read.

    Why here and first: Django reads a multipart body while parsing it, for anonymous requests
    too; checking the declared ``Content-Length`` up front means a 150 MB POST costs nothing.
    A body without a length (chunked) is refused on the same grounds.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.conf import settings

        if request.method in ("POST", "PUT", "PATCH"):
            length = request.META.get("CONTENT_LENGTH") or ""
            limit = int(getattr(settings, "UPLOAD_MAX_BYTES", 100 * 1024 * 1024))
            if request.META.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked":
                return HttpResponse("Förfrågan saknar längd (Content-Length).", status=411, content_type="text/plain; charset=utf-8")
            if length.isdigit() and int(length) > limit:
                return HttpResponse(f"Filen är för stor: högst {limit // (1024 * 1024)} MB.", status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)

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

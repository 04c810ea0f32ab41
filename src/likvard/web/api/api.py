"""REST API under /api/v1/ (django-ninja): one router per app, the same scoping as the pages."""

from __future__ import annotations

from ninja import NinjaAPI
from ninja.errors import HttpError
from ninja.security import django_auth

from likvard.web.allocation.api import router as allocation
from likvard.web.goals.api import router as goals
from likvard.web.results.api import router as results
from likvard.web.schools.api import router as schools
from likvard.web.support.api import router as support

from .auth import TokenAuth, http_error, signed_in
from .docs import ServerRenderedDocs

# The OpenAPI document and /api/v1/docs (rendered here, no CDN) only for someone signed in.
api = NinjaAPI(title="Likvärd API", version="1", urls_namespace="api", auth=[TokenAuth(), django_auth], docs=ServerRenderedDocs(), docs_url="/docs", docs_decorator=signed_in)
api.add_exception_handler(HttpError, http_error(api))  # a 403 is audited like a page's
api.add_router("/", schools)
api.add_router("/", allocation)
api.add_router("/", results)
api.add_router("/", goals)
api.add_router("/", support)

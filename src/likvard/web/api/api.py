"""REST API under /api/v1/ (django-ninja): one router per app, the same scoping as the pages."""

from __future__ import annotations

from ninja import NinjaAPI
from ninja.security import django_auth

from likvard.web.allocation.api import router as allocation
from likvard.web.results.api import router as results
from likvard.web.schools.api import router as schools

from .auth import TokenAuth

api = NinjaAPI(title="Likvärd API", version="1", urls_namespace="api", auth=[TokenAuth(), django_auth], docs_url=None)  # no CDN-hosted docs UI
api.add_router("/", schools)
api.add_router("/", allocation)
api.add_router("/", results)

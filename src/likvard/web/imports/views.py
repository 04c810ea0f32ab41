"""The upload page: one or more files (or a zip) of one kind, checked whole, all or nothing."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy

from likvard.data.tables import Upload
from likvard.web.accounts.scoping import may_import
from likvard.web.accounts.views import deny

from .actions import import_kind
from .models import ImportedFile
from .snapshots import current

KIND_LABELS = {
    "data": gettext_lazy("En hel katalog i importformatet (pupils, schools, school_index, decisions, rsu_groups – flera filer eller en zip)"),
    "schools": gettext_lazy("Skolregister (schools)"),
    "register": gettext_lazy("Elevregister (pupils)"),
    "index": gettext_lazy("Socioekonomiskt index (school_index)"),
    "decisions": gettext_lazy("Individuella beslut (decisions)"),
    "rsu": gettext_lazy("RSU-grupper (rsu_groups)"),
    "baseline": gettext_lazy("Basårets pengar per elev (baseline), för golv och tak mot förra året"),
    "skolverket": gettext_lazy("Skolverkets statistik (CSV-export eller Planned Educations JSON, flera filer eller en zip)"),
}


@login_required
def upload(request: HttpRequest) -> HttpResponse:
    if not may_import(request.user):
        deny(request, "import")
    context: dict[str, Any] = {"kinds": KIND_LABELS, "kind": request.POST.get("kind", "data")}
    if request.method == "POST" and request.FILES.getlist("file"):
        kind = context["kind"] if context["kind"] in KIND_LABELS else "data"
        year_text = request.POST.get("year", "").strip()
        year = int(year_text) if year_text.isascii() and year_text.isdigit() and 2000 <= int(year_text) <= 2100 else None
        files = [Upload((f.name or "upload")[-200:], f.read()) for f in request.FILES.getlist("file")]
        outcome = import_kind(request.user, kind, files, year=year)
        context.update(outcome=outcome, problems=outcome.problems, notices=outcome.notices, duplicate=outcome.duplicate_of, imported=outcome.files)
    context["files"] = ImportedFile.objects.exclude(summary__has_key="part_of").select_related("uploaded_by")[:50]
    context["register"] = current("pupils")
    return render(request, "imports/upload.html", context)

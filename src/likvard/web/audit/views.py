"""The audit log as a controller reads it: actions and before/after in plain Swedish."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy

from likvard.web.accounts.scoping import may_run
from likvard.web.accounts.views import deny

from .models import AuditEntry

ACTIONS = {
    "create_scenario": gettext_lazy("Skapade scenario"),
    "set_value": gettext_lazy("Ändrade"),
    "run_scenario": gettext_lazy("Körde scenario"),
    "run_allocation": gettext_lazy("Körde resursfördelningen"),
    "import_data": gettext_lazy("Importerade en katalog i importformatet"),
    "import_schools": gettext_lazy("Importerade skolregister"),
    "import_register": gettext_lazy("Importerade elevregister"),
    "import_index": gettext_lazy("Importerade index"),
    "import_decisions": gettext_lazy("Importerade individuella beslut"),
    "import_rsu": gettext_lazy("Importerade RSU-grupper"),
    "import_skolverket": gettext_lazy("Importerade Skolverkets statistik"),
    "create_schools": gettext_lazy("Lade till skolor"),
    "update_school": gettext_lazy("Ändrade skola"),
    "fit_results": gettext_lazy("Skattade förväntade resultat"),
    "add_user": gettext_lazy("Lade till användare"),
    "issue_token": gettext_lazy("Skapade API-nyckel"),
    "revoke_token": gettext_lazy("Återkallade API-nyckel"),
    "revoke_tokens_password": gettext_lazy("Återkallade API-nycklar (lösenordet byttes)"),
    "revoke_tokens_deactivated": gettext_lazy("Återkallade API-nycklar (användaren inaktiverades)"),
    "login_failed": gettext_lazy("Misslyckad inloggning"),
    "locked_out": gettext_lazy("Inloggningen spärrades"),
    "access_denied": gettext_lazy("Nekades åtkomst"),
    "apply_support": gettext_lazy("Ansökte om tilläggsbelopp eller verksamhetsstöd"),
    "grant_support": gettext_lazy("Beviljade tilläggsbelopp eller verksamhetsstöd"),
    "refuse_support": gettext_lazy("Avslog ansökan om tilläggsbelopp eller verksamhetsstöd"),
}
KEYS = {
    "run": gettext_lazy("körning"),
    "overrides": gettext_lazy("ändringar"),
    "name": gettext_lazy("namn"),
    "year": gettext_lazy("år"),
    "years": gettext_lazy("år"),
    "rows": gettext_lazy("rader"),
    "sha256": "SHA-256",
    "pupils": gettext_lazy("elevregister"),
    "index": gettext_lazy("index"),
    "decisions": gettext_lazy("beslut"),
    "rsu_groups": gettext_lazy("RSU-grupper"),
    "schools": gettext_lazy("skolor"),
    "created": gettext_lazy("nya"),
    "changed": gettext_lazy("ändrade"),
    "codes": gettext_lazy("koder"),
    "statistics": gettext_lazy("statistikvärden"),
    "operator": gettext_lazy("huvudman"),
    "organiser": gettext_lazy("huvudmannens namn"),
    "municipality_code": gettext_lazy("kommun"),
    "district": gettext_lazy("stadsdel"),
    "area": gettext_lazy("skolområde"),
    "school_forms": gettext_lazy("skolformer"),
    "reconciled": gettext_lazy("stämmer"),
    "total_ore": gettext_lazy("summa (öre)"),
    "role": gettext_lazy("roll"),
    "school": gettext_lazy("skola"),
    "amount_ore": gettext_lazy("belopp (öre)"),
    "start": gettext_lazy("från och med"),
    "end": gettext_lazy("till och med"),
    "extensive": gettext_lazy("omfattande stöd"),
    "renewal_of": gettext_lazy("förnyelse av"),
    "state": gettext_lazy("status"),
}


def audit_text(value: Any) -> str:
    """Before/after of an entry as plain text ("namn: Rinkebyskolan"), not a Python repr."""
    if value is None:
        return ""
    if isinstance(value, dict):
        if set(value) == {"value"}:
            return "" if value["value"] is None else str(value["value"])
        return "; ".join(f"{KEYS.get(k, k)}: {audit_text(v) if isinstance(v, dict | list) else v}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "–"
    return str(value)


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    if not may_run(request.user):
        deny(request, "audit log")
    entries = [
        {"e": e, "action": ACTIONS.get(e.action, e.action), "before": audit_text(e.before), "after": audit_text(e.after)}
        for e in AuditEntry.objects.select_related("user")[:500]
    ]
    return render(request, "audit/audit.html", {"entries": entries})

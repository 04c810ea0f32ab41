"""API: the support applications of the schools a user may see (the same scoping as the pages)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router
from ninja.errors import HttpError

from likvard.web.accounts.scoping import visible_schools

from .models import Application

router = Router(tags=["support"])


def application_dict(a: Application) -> dict[str, Any]:
    """One application as the API gives it: amounts in öre, dates as ISO text, the pupil by
    pseudonym only."""
    return {
        "id": a.pk,
        "school_unit_code": a.school.school_unit_code,
        "pupil_id": a.pupil_id,
        "state": a.state,
        "amount_asked_ore": a.amount_asked_ore,
        "start": a.start.isoformat(),
        "end": a.end.isoformat(),
        "renewal_of": a.renewal_of_id,
        "granted_amount_ore": a.granted_amount_ore,
        "granted_start": a.granted_start.isoformat() if a.granted_start else None,
        "granted_end": a.granted_end.isoformat() if a.granted_end else None,
        "extensive": a.extensive if a.state == "granted" else None,
    }


@router.get("/support/applications")
def applications(request: HttpRequest, state: str | None = None) -> Any:
    """Every application of the schools the user may see, newest first; ``state`` filters
    (submitted, granted, refused)."""
    schools = visible_schools(request.user)
    if not schools.exists():
        raise HttpError(403, "Åtkomst nekad")
    rows = Application.objects.filter(school__in=schools).select_related("school")
    if state:
        rows = rows.filter(state=state)
    return {"applications": [application_dict(a) for a in rows[:5000]]}

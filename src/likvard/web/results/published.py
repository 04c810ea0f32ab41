"""Skolverket's published figures as the pages show them: per indicator, one column per school
year, each value exactly as published (markers included)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext_lazy as _

from likvard.workflows.goals import school_year

from .models import PublishedStatistic

#: What each marker means (Skolverket's conventions), shown beside the table.
MARKERS = {
    "..": _("färre än 10 elever (uppgiften visas inte)"),
    ".": _("uppgift saknas"),
    "~100": _("1–4 elever saknar behörighet (värdet visas som ~100)"),
    "*": _("uppgiften redovisas inte (t.ex. för få legitimerade lärare att beräkna)"),
    "cirka": _("avrundat värde"),
}
#: The indicators a school page shows, in this order, with their Swedish names.
INDICATORS = {
    "merit_value": _("Genomsnittligt meritvärde, årskurs 9"),
    "share_all_subjects": _("Andel (%) som uppnått kunskapskraven i alla ämnen, årskurs 9"),
    "share_eligible_vocational": _("Andel (%) behöriga till yrkesprogram"),
    "pupils_grade9": _("Antal elever i årskurs 9"),
    "ratioOfPupilsIn6thGradeWithAllSubjectsPassed": _("Andel (%) med godkänt i alla ämnen, årskurs 6"),
    "totalNumberOfPupils": _("Antal elever på skolenheten"),
    "certifiedTeachersQuota": _("Andel (%) legitimerade lärare"),
    "studentsPerTeacherQuota": _("Elever per lärare"),
}


#: The school year whose spring results a register year holds (2024 → "2024/25"); the goal
#: follow-up dates outcomes by the same rule.
period_of = school_year


def published_table(stats: Iterable[PublishedStatistic]) -> dict[str, Any]:
    """Periods (oldest first) and one row per shown indicator with its values by period."""
    by_indicator: dict[str, dict[str, PublishedStatistic]] = {}
    for s in stats:
        by_indicator.setdefault(s.indicator, {})[s.period] = s
    periods = sorted({p for values in by_indicator.values() for p in values})
    rows = [
        {"indicator": key, "label": label, "values": [by_indicator[key][p].published if p in by_indicator[key] else "" for p in periods]}
        for key, label in INDICATORS.items()
        if key in by_indicator
    ]
    used = sorted({s.marker for key in INDICATORS if key in by_indicator for s in by_indicator[key].values() if s.marker})
    return {"periods": periods, "rows": rows, "markers": [(m, MARKERS.get(m, m)) for m in used]}

"""The catalogue as stored, as the workflow's ``Catalogue`` (for the report page, its PDF and
Word document, the API and the CLI on the database)."""

from __future__ import annotations

from likvard.data.interventions import Assignment as AssignmentData
from likvard.data.interventions import Catalogue
from likvard.data.interventions import Intervention as InterventionData

from .models import Assignment, Intervention


def stored_catalogue(school_ids: list[int] | None = None) -> Catalogue:
    interventions = list(Intervention.objects.all())
    rows = Assignment.objects.filter(retired=False).select_related("intervention", "school")
    if school_ids is not None:
        rows = rows.filter(school_id__in=school_ids)
    return Catalogue(
        source="",
        organisation="",
        interventions=tuple(
            InterventionData(i.key, i.name, i.purpose, i.content, i.provider, i.responsible, i.target_group, i.cost_kr, i.goal, i.baseline, i.evaluation, i.synthetic, i.line)
            for i in interventions
        ),
        assignments=tuple(
            AssignmentData(a.intervention.key, a.school.school_unit_code, a.school.name, a.start, a.end, a.status, a.note, a.line, a.synthetic) for a in rows
        ),
    )

"""Creating and updating schools from an import, with what changed in the audit log.

Why before/after per school: a Skolverket response or a school list may rename a school or
change its organiser; a controller must be able to see that it happened and what it was, not
find a school silently changed (issue 7).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from likvard.web.audit.actions import record

from .models import School

#: The fields an import may set, in the order the audit log shows them.
FIELDS = (
    "name", "operator", "organiser", "municipality_code", "district", "area", "school_forms", "grades",
    "resource_school", "ib", "opened_year", "employees", "lat", "lon", "synthetic", "synthetic_location",
)
_TEXT = {"name", "operator", "organiser", "municipality_code", "district", "area", "school_forms", "grades"}
_FLAGS = {"resource_school", "ib", "synthetic", "synthetic_location"}


@dataclass
class SchoolChanges:
    """What an import did to the school register: codes created, and field changes per code."""

    created: list[str] = field(default_factory=list)
    changed: dict[str, dict[str, tuple[Any, Any]]] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        return {"created": len(self.created), "changed": len(self.changed)}


def _clean(key: str, value: Any) -> Any:
    if key in _TEXT:
        return "" if value is None else str(value)
    if key in _FLAGS:
        return bool(value)
    return value


def upsert_schools(actor: Any, rows: Iterable[Mapping[str, Any]], source: str) -> SchoolChanges:
    """Create the schools that are new and update the given fields of those that exist.

    Only keys present in a row (and not None for a Skolverket source that lacks them) are
    written, so a school-unit response without a district keeps the district from the school
    list. Call inside the import's transaction: the audit rows are written here.
    """
    rows = list(rows)
    existing = {s.school_unit_code: s for s in School.objects.filter(school_unit_code__in=[r["school_unit_code"] for r in rows])}
    changes = SchoolChanges()
    new: list[School] = []
    for row in rows:
        code = row["school_unit_code"]
        given = {k: _clean(k, row[k]) for k in FIELDS if k in row and row[k] is not None}
        extra = {k: str(v) for k, v in row.items() if k.startswith("attr_") and v is not None}
        if extra:  # the list's attribute columns replace the school's earlier ones
            given["attributes"] = extra
        school = existing.get(code)
        if school is None:
            new.append(School(school_unit_code=code, **given))
            changes.created.append(code)
            continue
        diff = {k: (getattr(school, k), v) for k, v in given.items() if getattr(school, k) != v}
        if diff:
            for k, (_, v) in diff.items():
                setattr(school, k, v)
            school.save(update_fields=[*diff, "updated_at"])
            changes.changed[code] = diff
            record(actor, "update_school", f"{school.name} ({code})", before={k: b for k, (b, _) in diff.items()}, after={k: a for k, (_, a) in diff.items()})
    School.objects.bulk_create(new, batch_size=500)
    if changes.created:
        record(actor, "create_schools", source, before=None, after={"created": len(changes.created), "codes": changes.created[:50]})
    return changes

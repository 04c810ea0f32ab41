"""Importing the intervention catalogue (atomic, actor first, audited)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from likvard.data.interventions import Catalogue, read_interventions
from likvard.data.problems import Problem
from likvard.data.register import InputError
from likvard.data.tables import Upload
from likvard.web.audit.actions import record
from likvard.web.imports.actions import ImportOutcome, guarded
from likvard.web.imports.models import ImportedFile
from likvard.web.schools.models import School

from .models import Assignment, Intervention

__all__ = ["import_catalogue", "import_interventions"]


def import_interventions(actor: Any, sources: Iterable[Path | Upload]) -> ImportOutcome:
    """``likvard import interventions interventions.toml`` and the upload page."""
    outcome = ImportOutcome("interventions")
    files = list(sources)
    if len(files) != 1:
        outcome.problems.append(Problem("interventions", None, None, f"ange en fil (fick {len(files)})"))
        return outcome
    source = files[0]
    upload = source if isinstance(source, Upload) else Upload(Path(source).name, Path(source).read_bytes())
    try:
        catalogue = read_interventions(upload)
    except InputError as err:
        outcome.problems.extend(err.problems)
        return outcome
    return import_catalogue(actor, catalogue, upload, outcome)


def import_catalogue(actor: Any, catalogue: Catalogue, upload: Upload | None = None, outcome: ImportOutcome | None = None) -> ImportOutcome:
    """Store a catalogue: interventions by key (updated, or retired when a catalogue from the
    same source no longer holds them), assignments by intervention, school and start year.
    A school the register lacks is a problem naming the item, and nothing is stored."""
    outcome = outcome or ImportOutcome("interventions")
    ids = dict(School.objects.values_list("school_unit_code", "pk"))
    missing = sorted({(a.school_unit_code, a.school, a.line) for a in catalogue.assignments if a.school_unit_code not in ids})
    if missing:
        outcome.problems.extend(Problem(catalogue.file, line, "school_unit_code", f"skolenheten {code} ({name}) finns inte i skolregistret") for code, name, line in missing[:20])
        return outcome

    def store() -> None:
        user = actor if getattr(actor, "pk", None) is not None else None
        content = upload.content if upload else repr(catalogue).encode()
        f = ImportedFile.objects.create(sha256=hashlib.sha256(content).hexdigest(), kind="interventions", filename=(upload.name if upload else catalogue.file)[:255], rows=len(catalogue.assignments), uploaded_by=user)
        stored = {}
        for i in catalogue.interventions:
            stored[i.key], _ = Intervention.objects.update_or_create(
                key=i.key,
                defaults={
                    "name": i.name, "purpose": i.purpose, "content": i.content, "provider": i.provider, "responsible": i.responsible, "target_group": i.target_group,
                    "cost_kr": i.cost_kr, "goal": i.goal, "baseline": i.baseline, "evaluation": i.evaluation, "synthetic": i.synthetic, "source": catalogue.source,
                    "line": i.line, "retired": False, "file": f,
                },
            )
        kept = []
        for a in catalogue.assignments:
            obj, _ = Assignment.objects.update_or_create(
                intervention=stored[a.intervention], school_id=ids[a.school_unit_code], start=a.start,
                defaults={"end": a.end, "status": a.status, "note": a.note, "synthetic": a.synthetic, "line": a.line, "retired": False},
            )
            kept.append(obj.pk)
        retired = Intervention.objects.filter(source=catalogue.source, retired=False).exclude(key__in=list(stored)).update(retired=True)
        Assignment.objects.filter(intervention__source=catalogue.source, retired=False).exclude(pk__in=kept).update(retired=True)
        outcome.files.append(f)
        outcome.summary = {"interventions": len(stored), "assignments": len(kept), "retired_interventions": retired}
        f.summary = outcome.summary
        f.save(update_fields=["summary"])
        record(actor, "import_interventions", f.filename, after=outcome.summary)

    return guarded(outcome, store)

"""Applying for, granting and refusing a pupil's individual support; the grants a run pays.

Atomic, actor first, one audit row each (architecture §1). The rules (12 months at most, a
renewal's account of use and results, the year's part of a grant) are framework-free in
``likvard.workflows.support``; this module stores, checks the pupil against the register and
records. The audit rows never name a personal identity number: the pupil is its pseudonym.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import polars as pl
from django.db import transaction
from django.utils import timezone

from likvard.data.personal_identity import (
    IdentityError,
    identity_mask,
    load_key,
    pseudonymise_pupil_ids,
    pupil_id_kind,
)
from likvard.engine.allocation import AllocationInput
from likvard.web.audit.actions import record
from likvard.web.imports import snapshots
from likvard.web.schools.models import School
from likvard.workflows.support import (
    Grant,
    application_problems,
    decision_problems,
    decisions_for_year,
)

from .models import Application

__all__ = ["ApplicationProblems", "apply", "grant", "grants_for_year", "pupil_of", "refuse", "with_support"]

#: The free-text fields of an application, scanned for identity numbers before they are stored.
TEXT_FIELDS = ("need", "use_report", "results_report")


class ApplicationProblems(Exception):
    """What stops an application or a decision: (field, Swedish message) pairs."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{field}: {text}" for field, text in problems))
        self.problems = problems


def pupil_of(text: str) -> str:
    """The register's id for what a principal typed: a personal identity number (or interim
    number) becomes its keyed pseudonym, as on import (docs/privacy.md); anything else is taken
    as the register's own id. Raises ``ApplicationProblems`` without repeating the number."""
    value = text.strip()
    if not value:
        raise ApplicationProblems([("pupil", "ange elevens personnummer eller elev-id i elevregistret")])
    if pupil_id_kind(pl.Series([value]))[0] == "":
        if identity_mask(pl.Series([value]))[0]:
            raise ApplicationProblems([("pupil", "personnumret är inte giltigt (kontrollsiffra eller datum)")])
        return value
    try:
        key = load_key()
    except (IdentityError, OSError) as exc:
        raise ApplicationProblems([("pupil", f"personnummer kan inte tas emot: {exc}")]) from None
    return str(pseudonymise_pupil_ids(pl.Series([value]), key)[0])


def _register_year(year: int) -> Any:
    """The register snapshot that tells which pupils a school has in ``year``: that year's, else
    the latest one before it, else the earliest one after it."""
    stored = snapshots.current("pupils")
    before = [s for s in stored if s.year <= year]
    return before[-1] if before else (stored[0] if stored else None)


def _check_pupil(school: School, pupil_id: str, year: int) -> list[tuple[str, str]]:
    snapshot = _register_year(year)
    if snapshot is None:
        return [("pupil", "det finns inget elevregister att pröva eleven mot: importera elevregistret först")]
    frame = snapshots.columns_of(snapshot, ["pupil_id", "school_unit_code"])
    at = frame.filter(pl.col("pupil_id") == pupil_id)["school_unit_code"].to_list()
    if school.school_unit_code in at:
        return []
    where = f"på en annan skola ({at[0]})" if at else "inte"
    return [("pupil", f"eleven finns {where} i elevregistret {snapshot.year} för {school.name} ({school.school_unit_code})")]


def _scan(values: dict[str, str]) -> list[tuple[str, str]]:
    texts = [(f, values.get(f, "")) for f in TEXT_FIELDS]
    mask = identity_mask(pl.Series([t for _, t in texts], dtype=pl.String))
    return [(f, "texten innehåller ett personnummer: skriv om eleven utan att identifiera hen") for (f, _), hit in zip(texts, mask.to_list(), strict=True) if hit]


def previous_grant(school: School, pupil_id: str) -> Application | None:
    """The pupil's latest grant at the school: a new application continues it (a renewal)."""
    return Application.objects.filter(school=school, pupil_id=pupil_id, state="granted").order_by("-granted_end", "-id").first()


@transaction.atomic
def apply(actor: Any, school: School, pupil: str, values: dict[str, str], amount_ore: int | None, start: dt.date | None, end: dt.date | None, *, extensive_asked: bool = False) -> Application:
    """A principal's application for a pupil of ``school``. A pupil who has had a grant at the
    school may only be applied for again as its renewal, with the account of use and results."""
    pupil_id = pupil_of(pupil)
    earlier = previous_grant(school, pupil_id)
    problems = _scan(values) + application_problems(
        amount_ore, start, end, need=values.get("need", ""), renewal=earlier is not None, use_report=values.get("use_report", ""), results_report=values.get("results_report", "")
    )
    if start is not None:
        problems += _check_pupil(school, pupil_id, start.year)
    if earlier is not None and start is not None and earlier.granted_end is not None and start <= earlier.granted_end:
        problems.append(("start", f"eleven har beviljat stöd till och med {earlier.granted_end.isoformat()} (ansökan {earlier.pk}): en förnyelse börjar dagen efter"))
    if problems:
        raise ApplicationProblems(problems)
    assert amount_ore is not None and start is not None and end is not None
    application = Application.objects.create(
        school=school,
        pupil_id=pupil_id,
        need=values.get("need", "").strip()[:20_000],
        amount_asked_ore=amount_ore,
        start=start,
        end=end,
        extensive_asked=extensive_asked,
        renewal_of=earlier,
        use_report=values.get("use_report", "").strip()[:20_000] if earlier else "",
        results_report=values.get("results_report", "").strip()[:20_000] if earlier else "",
        applied_by=actor if getattr(actor, "pk", None) is not None else None,
    )
    record(actor, "apply_support", str(application), after={"school": school.school_unit_code, "amount_ore": amount_ore, "start": start.isoformat(), "end": end.isoformat(), "renewal_of": earlier.pk if earlier else None})
    return application


def _undecided(application: Application) -> Application:
    locked = Application.objects.select_for_update().get(pk=application.pk)
    if locked.state != "submitted":
        raise ApplicationProblems([("state", f"ansökan {locked.pk} är redan {locked.get_state_display().lower()}: ett beslut ändras inte")])
    return locked


@transaction.atomic
def grant(actor: Any, application: Application, amount_ore: int | None, start: dt.date | None, end: dt.date | None, *, extensive: bool, note: str = "") -> Application:
    """The office's grant: the amount for the whole period (at most 12 months), and whether the
    needs are extensive (the model's surcharge, 25 % in 2024, is added in the run)."""
    locked = _undecided(application)
    problems = decision_problems(amount_ore, start, end)
    if problems:
        raise ApplicationProblems(problems)
    assert amount_ore is not None and start is not None and end is not None
    locked.state, locked.granted_amount_ore, locked.granted_start, locked.granted_end = "granted", amount_ore, start, end
    locked.extensive, locked.decision_note = extensive, note.strip()[:20_000]
    locked.decided_by, locked.decided_at = (actor if getattr(actor, "pk", None) is not None else None), timezone.now()
    locked.save()
    record(actor, "grant_support", str(locked), before={"state": "submitted"}, after={"state": "granted", "amount_ore": amount_ore, "start": start.isoformat(), "end": end.isoformat(), "extensive": extensive})
    return locked


@transaction.atomic
def refuse(actor: Any, application: Application, note: str) -> Application:
    """The office's refusal, with its reason."""
    if not note.strip():
        raise ApplicationProblems([("note", "ange skälet till avslaget")])
    locked = _undecided(application)
    locked.state, locked.decision_note = "refused", note.strip()[:20_000]
    locked.decided_by, locked.decided_at = (actor if getattr(actor, "pk", None) is not None else None), timezone.now()
    locked.save()
    record(actor, "refuse_support", str(locked), before={"state": "submitted"}, after={"state": "refused"})
    return locked


def grants_for_year(year: int) -> list[Grant]:
    """The grants whose period touches budget year ``year``."""
    rows = Application.objects.filter(state="granted", granted_start__lte=dt.date(year, 12, 31), granted_end__gte=dt.date(year, 1, 1)).select_related("school").order_by("id")
    return [
        Grant(str(a.pk), a.pupil_id, a.school.school_unit_code, int(a.granted_amount_ore or 0), a.granted_start, a.granted_end, a.extensive)
        for a in rows
        if a.granted_start is not None and a.granted_end is not None
    ]


def with_support(inputs: AllocationInput, year: int) -> tuple[AllocationInput, list[dict[str, Any]]]:
    """The run's inputs with the year's grants added to its decisions, and the grants left out
    because their pupil is not in the year's register (named, with the reason, never silently)."""
    grants = grants_for_year(year)
    if not grants:
        return inputs, []
    pupils = inputs.pupils.filter(pl.col("year") == year).select("pupil_id").unique()
    present = set(pupils.join(pl.DataFrame({"pupil_id": [g.pupil_id for g in grants]}), on="pupil_id", how="semi")["pupil_id"].to_list())
    paid = [g for g in grants if g.pupil_id in present]
    left = [{"application": g.reference, "school_unit_code": g.school_unit_code, "reason": f"eleven finns inte i elevregistret {year}", "reason_en": f"the pupil is not in the {year} pupil register"} for g in grants if g.pupil_id not in present]
    if not paid:
        return inputs, left
    decisions = pl.concat([inputs.decisions, decisions_for_year(paid, year)], how="vertical_relaxed")
    source = f"{inputs.source}; beviljade ansökningar om tilläggsbelopp och verksamhetsstöd {year} ({len(paid)})"
    return dataclasses.replace(inputs, decisions=decisions, source=source), left

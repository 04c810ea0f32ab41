"""Storing results: Skolverket's published figures, fitted index models, expected results."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl
from django.conf import settings
from django.db import transaction

from likvard.engine.stats import IndexModel
from likvard.web.audit.actions import record
from likvard.web.imports import snapshots
from likvard.web.imports.models import ImportedFile, Snapshot
from likvard.web.schools.models import School

from .models import IndexFit, PublishedStatistic, ResultByGender, ResultEstimate

__all__ = ["fit_results", "index_fit_for", "store_statistics"]


def store_statistics(statistics: pl.DataFrame, source: ImportedFile | None) -> int:
    """Published figures (school_unit_code, indicator, period, value, published, marker) of the
    schools in the register; a figure already stored for the school, indicator and period is
    replaced. Returns how many were stored."""
    ids = dict(School.objects.filter(school_unit_code__in=statistics["school_unit_code"].unique().to_list()).values_list("school_unit_code", "pk"))
    rows = [
        PublishedStatistic(
            school_id=ids[r["school_unit_code"]],
            indicator=r["indicator"][:100],
            period=r["period"][:20],
            value=r["value"],
            published=(r["published"] or "")[:50],
            marker=(r["marker"] or "")[:10],
            source=source,
        )
        for r in statistics.iter_rows(named=True)
        if r["school_unit_code"] in ids
    ]
    PublishedStatistic.objects.bulk_create(
        rows, batch_size=2_000, update_conflicts=True, unique_fields=["school", "indicator", "period"], update_fields=["value", "published", "marker", "source"]
    )
    return len(rows)


def _key(pupils: Sequence[Snapshot]) -> str:
    return ",".join(str(s.pk) for s in sorted(pupils, key=lambda s: s.pk))


def index_fit_for(year: int, pupils: Sequence[Snapshot], municipality: str) -> IndexFit | None:
    """The index model already fitted for ``year`` on exactly these register snapshots."""
    return IndexFit.objects.filter(year=year, municipality_code=municipality, snapshot_key=_key(pupils)).first()


def save_index_fit(year: int, pupils: Sequence[Snapshot], model: IndexModel) -> IndexFit:
    """Keep what a fitted index model learned, to be re-applied by later runs and fits."""
    fit = IndexFit.objects.create(year=year, municipality_code=model.home_municipality, snapshot_key=_key(pupils), model=model.to_dict())
    fit.snapshots.set(list(pupils))
    return fit


@transaction.atomic
def fit_results(actor: Any, year: int, *, model_dir: str | None = None) -> int:
    """Index and expected results for ``year`` on the stored register; replaces the year's
    stored results. The index model is the one stored for these snapshots (re-applied), else
    fitted now and stored. Returns the number of schools with an estimate."""
    from likvard.workflows import fit_year, load_model

    municipality = load_model(model_dir or settings.MODEL_DIR).municipality
    chosen = snapshots.current("pupils", range(year - snapshots.YEARS_BACK, year + 1))
    pupils = snapshots.inputs(chosen, "").pupils
    stored = index_fit_for(year, chosen, municipality)
    result = fit_year(pupils, year, municipality, index_model=IndexModel.from_dict(stored.model) if stored else None)
    fit = stored or save_index_fit(year, chosen, result.index.model)
    ids = dict(School.objects.values_list("school_unit_code", "pk"))
    table = result.expected.table.filter(pl.col("school_unit_code").is_in(list(ids)))
    by_gender = result.expected.by_gender.filter(pl.col("school_unit_code").is_in(list(ids)))
    ResultEstimate.objects.filter(year=year).delete()
    ResultByGender.objects.filter(year=year).delete()
    main = ("actual", "expected", "value_added", "shrunken", "se", "lower", "upper")
    ResultEstimate.objects.bulk_create(
        ResultEstimate(
            school_id=ids[r["school_unit_code"]], year=year, outcome=r["outcome"], pupils=int(r["pupils"]), suppressed=bool(r["suppressed"]),
            flag="" if r["suppressed"] else (r["flag"] or ""), index_fit=fit, **{f: None if r["suppressed"] else r[f] for f in main},
        )
        for r in table.iter_rows(named=True)
    )
    ResultByGender.objects.bulk_create(
        ResultByGender(
            school_id=ids[r["school_unit_code"]], year=year, outcome=r["outcome"], gender=r["gender"], pupils=int(r["pupils"]), suppressed=bool(r["suppressed"]),
            **{f: None if r["suppressed"] else r[f] for f in ("actual", "expected", "value_added")},
        )
        for r in by_gender.iter_rows(named=True)
    )
    record(actor, "fit_results", f"resultat {year}", after={"year": year, "schools": table.height, "index_fit": fit.pk})
    return table.height

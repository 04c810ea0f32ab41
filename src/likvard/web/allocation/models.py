"""Allocation runs as numbers: the run, its pots, and one row per school with its lines.

A run records what it rested on — the model version, the register snapshots, the index (its
source and, when estimated, the fitted model) — so a statement can be explained years later.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from likvard.web.imports.models import Snapshot
from likvard.web.results.models import IndexFit
from likvard.web.schools.models import School


class Scenario(models.Model):
    """A copy of the year's model with changed keys (``component.key=value`` overrides)."""

    name = models.CharField(max_length=200)
    year = models.IntegerField()
    overrides = models.JSONField(default=list)  # ["socioeconomic.base_amount=3000", ...]
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    retired = models.BooleanField(default=False)

    class Meta:
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return self.name


class AllocationRun(models.Model):
    """One run of a model on stored data (``kind="run"``), or a scenario's comparison with the
    unchanged model (``kind="comparison"``: the schools carry the scenario's amounts and their
    differences from the baseline)."""

    kind = models.CharField(max_length=20, default="run")
    year = models.IntegerField()
    model_id = models.CharField(max_length=100)
    model_version = models.CharField(max_length=64)
    model_name = models.CharField(max_length=300)
    overrides = models.JSONField(default=list)
    scenario = models.ForeignKey(Scenario, null=True, blank=True, on_delete=models.SET_NULL, related_name="runs")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    reconciled = models.BooleanField()
    total_ore = models.BigIntegerField()
    data_source = models.TextField(blank=True)
    snapshots = models.ManyToManyField(Snapshot, related_name="runs")
    index_source = models.CharField(max_length=20)
    index_fit = models.ForeignKey(IndexFit, null=True, blank=True, on_delete=models.PROTECT, related_name="runs")
    #: The model's description as the JSON shows it (id, name, source, illustrative components,
    #: VAT rate, overrides) and its components; for a comparison also the baseline, the
    #: differences per component and the winners and losers.
    summary = models.JSONField(default=dict)

    class Meta:
        ordering = ("-created_at", "-id")

    @property
    def is_comparison(self) -> bool:
        return self.kind == "comparison"


class Pot(models.Model):
    """One pot, budget or transfer of a run with what was paid out of it."""

    run = models.ForeignKey(AllocationRun, on_delete=models.CASCADE, related_name="pots")
    position = models.IntegerField()
    pot_id = models.CharField(max_length=100)
    label = models.CharField(max_length=300)
    kind = models.CharField(max_length=20)
    component = models.CharField(max_length=100)
    amount_ore = models.BigIntegerField()
    distributed_ore = models.BigIntegerField()
    difference_ore = models.BigIntegerField()
    note = models.TextField(blank=True)

    class Meta:
        ordering = ("run", "position")


class SchoolAllocation(models.Model):
    """A school's money in a run: its figures as numbers, its statement lines (typed: component,
    line, quantity, rate and amount in öre, template and detail of the explanation)."""

    run = models.ForeignKey(AllocationRun, on_delete=models.CASCADE, related_name="schools")
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="allocations")
    pupils = models.IntegerField()
    index = models.FloatField(null=True)
    index_basis = models.CharField(max_length=30, blank=True)
    need_quartile = models.SmallIntegerField(null=True)
    total_ore = models.BigIntegerField()
    per_pupil_ore = models.BigIntegerField(null=True)
    lines = models.JSONField(default=list)
    before_total_ore = models.BigIntegerField(null=True)
    diff_total_ore = models.BigIntegerField(null=True)
    diff_ore = models.JSONField(default=dict)

    class Meta:
        ordering = ("run", "school__school_unit_code")
        constraints = (models.UniqueConstraint(fields=["run", "school"], name="one_allocation_per_school_and_run"),)

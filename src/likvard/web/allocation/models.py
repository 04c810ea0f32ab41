"""Allocation runs: the engine's full result, kept as it was computed."""

from django.conf import settings
from django.db import models


class AllocationRun(models.Model):
    model_id = models.CharField(max_length=100)
    year = models.IntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    reconciled = models.BooleanField()
    total_ore = models.BigIntegerField()
    data = models.JSONField()
    scenario = models.ForeignKey("Scenario", null=True, blank=True, on_delete=models.SET_NULL, related_name="runs")

    class Meta:
        ordering = ("-created_at", "-id")

    @property
    def is_comparison(self) -> bool:
        return "components_diff" in self.data

    def statement(self, code: str) -> dict | None:
        """One school's statement (stored per school, so a page reads only its own)."""
        row = Statement.objects.filter(run_id=self.pk, school_unit_code=code).only("data").first()
        return row.data if row else None

    def full_data(self) -> dict:
        """The engine's whole result again (summary + every statement), for downloads."""
        statements = {s.school_unit_code: s.data for s in Statement.objects.filter(run_id=self.pk)}
        schools = [dict(summary, **statements.get(summary["school_unit_code"], {})) for summary in self.data["schools"]]
        return dict(self.data, schools=schools)


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


class AuditEntry(models.Model):
    """Who changed which rule or amount, when, from what to what (written in the same
    transaction as the change)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    at = models.DateTimeField(auto_now_add=True)
    action = models.CharField(max_length=50)
    target = models.CharField(max_length=200)
    before = models.JSONField(null=True)
    after = models.JSONField(null=True)

    class Meta:
        ordering = ("-at", "-id")


class Statement(models.Model):
    """A school's statement in a run (the engine's per-school JSON, lines included)."""

    run = models.ForeignKey(AllocationRun, on_delete=models.CASCADE, related_name="statements")
    school_unit_code = models.CharField(max_length=8)
    total_ore = models.BigIntegerField()
    data = models.JSONField()

    class Meta:
        constraints = (models.UniqueConstraint(fields=["run", "school_unit_code"], name="one_statement_per_school_and_run"),)


class ResultEstimate(models.Model):
    """A school's expected result and value added for one outcome and year (published form:
    figures as text, ``..`` for groups under 10 pupils)."""

    school_unit_code = models.CharField(max_length=8, db_index=True)
    year = models.IntegerField()
    outcome = models.CharField(max_length=30)
    pupils = models.IntegerField()
    actual = models.CharField(max_length=20)
    expected = models.CharField(max_length=20)
    value_added = models.CharField(max_length=20)
    lower = models.CharField(max_length=20)
    upper = models.CharField(max_length=20)
    flag = models.CharField(max_length=30)

    class Meta:
        constraints = (models.UniqueConstraint(fields=["school_unit_code", "year", "outcome"], name="one_estimate_per_school_year_outcome"),)


class ResultByGender(models.Model):
    """A school's result by gender for one outcome and year (published form: ``..`` for a
    group under 10 pupils, rules of issue 3 and the brief's suppression bar)."""

    school_unit_code = models.CharField(max_length=8, db_index=True)
    year = models.IntegerField()
    outcome = models.CharField(max_length=30)
    gender = models.CharField(max_length=10)  # "female" | "male"
    pupils = models.IntegerField()
    actual = models.CharField(max_length=20)
    expected = models.CharField(max_length=20)
    value_added = models.CharField(max_length=20)

    class Meta:
        constraints = (models.UniqueConstraint(fields=["school_unit_code", "year", "outcome", "gender"], name="one_gender_result_per_school_year_outcome"),)

"""Results: Skolverket's published statistics, the fitted index models, expected results and
value added. Figures are stored as numbers; ``..`` for groups under 10 pupils is a display rule
(``suppressed``), not a stored text."""

from django.db import models

from likvard.web.imports.models import ImportedFile, Snapshot
from likvard.web.schools.models import School


class PublishedStatistic(models.Model):
    """A figure Skolverket published for a school unit, indicator and school year.

    ``published`` is the text exactly as published ("202,7", "..", ".", "~100", "*",
    "cirka 460"), ``marker`` the marker it carries ("" for a plain number), ``value`` the number
    where there is one.
    """

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="statistics")
    indicator = models.CharField(max_length=100)
    period = models.CharField(max_length=20)
    value = models.FloatField(null=True)
    published = models.CharField(max_length=50, blank=True)
    marker = models.CharField(max_length=10, blank=True)
    source = models.ForeignKey(ImportedFile, null=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ("indicator", "period")
        constraints = (models.UniqueConstraint(fields=["school", "indicator", "period"], name="one_statistic_per_school_indicator_period"),)


class IndexFit(models.Model):
    """What a fitted socioeconomic index model learned (IndexModel.to_dict), for a year and
    the register snapshots it was fitted on; runs and result fits re-apply it unchanged."""

    year = models.IntegerField()
    municipality_code = models.CharField(max_length=4)
    snapshots = models.ManyToManyField(Snapshot, related_name="index_fits")
    snapshot_key = models.CharField(max_length=200, db_index=True)
    model = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-created_at", "-id")


class ResultEstimate(models.Model):
    """A school's expected result and value added for one outcome and year."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="result_estimates")
    year = models.IntegerField()
    outcome = models.CharField(max_length=30)
    pupils = models.IntegerField()
    suppressed = models.BooleanField()
    actual = models.FloatField(null=True)
    expected = models.FloatField(null=True)
    value_added = models.FloatField(null=True)
    shrunken = models.FloatField(null=True)
    se = models.FloatField(null=True)
    lower = models.FloatField(null=True)
    upper = models.FloatField(null=True)
    flag = models.CharField(max_length=30, blank=True)
    index_fit = models.ForeignKey(IndexFit, null=True, on_delete=models.SET_NULL)

    class Meta:
        constraints = (models.UniqueConstraint(fields=["school", "year", "outcome"], name="one_estimate_per_school_year_outcome"),)


class ResultByGender(models.Model):
    """A school's result by gender for one outcome and year (both groups hidden as ``..`` when
    either has under 10 pupils, so one cannot be derived from the other)."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="results_by_gender")
    year = models.IntegerField()
    outcome = models.CharField(max_length=30)
    gender = models.CharField(max_length=10)
    pupils = models.IntegerField()
    suppressed = models.BooleanField()
    actual = models.FloatField(null=True)
    expected = models.FloatField(null=True)
    value_added = models.FloatField(null=True)

    class Meta:
        constraints = (models.UniqueConstraint(fields=["school", "year", "outcome", "gender"], name="one_gender_result_per_school_year_outcome"),)

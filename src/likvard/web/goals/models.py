"""Goal follow-up: the committee's plan by year (goals, indicators, activities), outcomes per
indicator, period, level and gender, and schools' own annual targets.

Versioned by plan year and never deleted: importing a year's plan again updates what it
still holds and marks the rest ``retired`` (a report of that year stays readable, and the
audit log keeps pointing at something).
"""

from django.conf import settings
from django.db import models

from likvard.web.imports.models import ImportedFile
from likvard.web.schools.models import School

LEVELS = (("direction", "KF:s inriktningsmål"), ("area", "KF:s mål för verksamhetsområdet"), ("committee", "Nämndmål"))
ACTIVITY_STATUSES = (("planned", "Planerad"), ("ongoing", "Pågår"), ("done", "Genomförd"), ("postponed", "Uppskjuten"), ("cancelled", "Avbruten"))


class Plan(models.Model):
    year = models.IntegerField()
    municipality_code = models.CharField(max_length=4)
    organisation = models.CharField(max_length=200)
    source = models.CharField(max_length=300, blank=True)
    file = models.ForeignKey(ImportedFile, null=True, on_delete=models.SET_NULL)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-year",)
        constraints = (models.UniqueConstraint(fields=["year", "municipality_code"], name="one_plan_per_year_and_municipality"),)

    def __str__(self) -> str:
        return f"{self.organisation} {self.year}"


class Goal(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="goals")
    level = models.CharField(max_length=10, choices=LEVELS)
    code = models.CharField(max_length=20)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children")
    text = models.TextField()
    numbered = models.BooleanField(default=True)
    expected_results = models.JSONField(default=list, blank=True)
    line = models.IntegerField(null=True, blank=True)
    position = models.IntegerField(default=0)
    retired = models.BooleanField(default=False)

    class Meta:
        ordering = ("plan", "position")
        constraints = (models.UniqueConstraint(fields=["plan", "level", "code"], name="one_goal_per_plan_level_code"),)


class Indicator(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="indicators")
    key = models.CharField(max_length=80)
    name = models.TextField()
    goal = models.ForeignKey(Goal, on_delete=models.PROTECT, related_name="indicators")
    unit = models.CharField(max_length=40, blank=True)
    target = models.FloatField(null=True, blank=True)
    council_target = models.FloatField(null=True, blank=True)
    target_text = models.CharField(max_length=200, blank=True)
    council_target_text = models.CharField(max_length=200, blank=True)
    plus_minus = models.BooleanField(default=False)
    periodicity = models.CharField(max_length=10)
    direction = models.CharField(max_length=10)
    by_gender = models.BooleanField(default=False)
    level = models.CharField(max_length=10)
    source = models.CharField(max_length=200, blank=True)
    statistic = models.CharField(max_length=40, blank=True)
    grade = models.IntegerField(null=True, blank=True)
    line = models.IntegerField(null=True, blank=True)
    position = models.IntegerField(default=0)
    retired = models.BooleanField(default=False)

    class Meta:
        ordering = ("plan", "position")
        constraints = (models.UniqueConstraint(fields=["plan", "key"], name="one_indicator_per_plan_key"),)


class Activity(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="activities")
    number = models.IntegerField()
    goal = models.ForeignKey(Goal, on_delete=models.PROTECT, related_name="activities")
    text = models.TextField()
    start = models.DateField()
    end = models.DateField()
    lead = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=12, choices=ACTIVITY_STATUSES, default="planned")
    comment = models.TextField(blank=True)
    line = models.IntegerField(null=True, blank=True)
    retired = models.BooleanField(default=False)

    class Meta:
        ordering = ("plan", "number")
        constraints = (models.UniqueConstraint(fields=["plan", "number"], name="one_activity_per_plan_number"),)


class Outcome(models.Model):
    """An imported or entered outcome (Skolverket's figures stay in ``PublishedStatistic`` and
    are read from there): one indicator key, period, level, school or area, and gender."""

    indicator = models.CharField(max_length=80)
    period = models.CharField(max_length=20)
    level = models.CharField(max_length=10)
    school = models.ForeignKey(School, null=True, blank=True, on_delete=models.CASCADE, related_name="outcomes")
    area = models.CharField(max_length=200, blank=True)
    gender = models.CharField(max_length=10, blank=True)
    value = models.FloatField(null=True)
    pupils = models.IntegerField(null=True)
    source = models.CharField(max_length=20)
    file = models.ForeignKey(ImportedFile, null=True, on_delete=models.SET_NULL)
    #: the school's code, the area or "" (the city): one outcome per key, on every database
    scope = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = (models.UniqueConstraint(fields=["indicator", "period", "level", "scope", "gender"], name="one_outcome_per_key"),)


class SchoolTarget(models.Model):
    """A school's own annual target for an indicator and period, set by its principal."""

    indicator = models.CharField(max_length=80)
    period = models.CharField(max_length=20)
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="targets")
    target = models.FloatField()
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = (models.UniqueConstraint(fields=["indicator", "period", "school"], name="one_target_per_school_indicator_period"),)


class AnalysisText(models.Model):
    """The analyst's free text of a report: per plan, period and goal (or the whole report)."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="texts")
    period = models.CharField(max_length=10)  # T1 | T2 | year
    #: "level:code" of the goal, "" for the report as a whole
    goal_key = models.CharField(max_length=40, blank=True)
    text = models.TextField(blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = (models.UniqueConstraint(fields=["plan", "period", "goal_key"], name="one_text_per_plan_period_goal"),)

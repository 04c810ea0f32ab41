"""The intervention catalogue and its assignments to schools (seeds 002–004).

Seed 003 asks every intervention to state its purpose, target group, content, responsible
unit, time limit and cost, and to plan its measurement from the start; seed 002 a described,
coordinated catalogue. Retired, never deleted: a report of earlier years keeps its items.
"""

from django.db import models

from likvard.web.imports.models import ImportedFile
from likvard.web.schools.models import School

STATUSES = (("offered", "Erbjuden"), ("planned", "Planerad"), ("ongoing", "Pågår"), ("finished", "Avslutad"))


class Intervention(models.Model):
    key = models.CharField(max_length=80, unique=True)
    name = models.TextField()
    purpose = models.TextField(blank=True)
    content = models.TextField(blank=True)
    provider = models.CharField(max_length=300, blank=True)
    responsible = models.CharField(max_length=300, blank=True)
    target_group = models.CharField(max_length=300, blank=True)
    cost_kr = models.BigIntegerField(null=True, blank=True)
    goal = models.TextField(blank=True)
    baseline = models.TextField(blank=True)
    evaluation = models.TextField(blank=True)
    synthetic = models.BooleanField(default=False)
    source = models.CharField(max_length=300, blank=True)
    line = models.IntegerField(null=True, blank=True)
    retired = models.BooleanField(default=False)
    file = models.ForeignKey(ImportedFile, null=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class Assignment(models.Model):
    intervention = models.ForeignKey(Intervention, on_delete=models.PROTECT, related_name="assignments")
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="interventions")
    start = models.IntegerField()
    end = models.IntegerField()
    status = models.CharField(max_length=10, choices=STATUSES)
    note = models.TextField(blank=True)
    synthetic = models.BooleanField(default=False)
    line = models.IntegerField(null=True, blank=True)
    retired = models.BooleanField(default=False)

    class Meta:
        ordering = ("school", "start")
        constraints = (models.UniqueConstraint(fields=["intervention", "school", "start"], name="one_assignment_per_intervention_school_start"),)

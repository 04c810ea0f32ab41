"""School units (Skolverket's 8-digit codes) with the profile the allocation and the pages need.

A school enters the database only through an import (the school list, a Skolverket school-unit
response or the national export); the demo is one such import.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

OPERATORS = (
    ("municipal", _("Egen kommun")),
    ("independent", _("Fristående")),
    ("other_municipality", _("Annan kommun")),
    ("state", _("Statlig")),
)


class School(models.Model):
    school_unit_code = models.CharField(max_length=8, unique=True)
    name = models.CharField(max_length=200)
    operator = models.CharField(max_length=20, choices=OPERATORS)
    organiser = models.CharField(max_length=200, blank=True)
    municipality_code = models.CharField(max_length=4)
    district = models.CharField(max_length=100, blank=True)
    area = models.CharField(max_length=200, blank=True)
    school_forms = models.CharField(max_length=40, blank=True)
    grades = models.CharField(max_length=40, blank=True)
    resource_school = models.BooleanField(default=False)
    ib = models.BooleanField(default=False)
    opened_year = models.IntegerField(null=True, blank=True)
    employees = models.IntegerField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    synthetic = models.BooleanField(default=False)
    synthetic_location = models.BooleanField(default=False)
    #: The school list's ``attr_…`` columns (name → text), for models that declare them: a
    #: school's phase, its distance to the next school, its cost area (docs/formats.md).
    attributes = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("name", "school_unit_code")

    def __str__(self) -> str:
        return f"{self.name} ({self.school_unit_code})"

"""School units (Skolverket's codes), with the profile the allocation and the views need."""

from django.db import models


class School(models.Model):
    school_unit_code = models.CharField(max_length=8, unique=True)
    name = models.CharField(max_length=200)
    operator = models.CharField(max_length=20, choices=(("municipal", "Kommunal"), ("independent", "Fristående")))
    organiser = models.CharField(max_length=200, blank=True)
    municipality_code = models.CharField(max_length=4)
    district = models.CharField(max_length=100, blank=True)
    area = models.CharField(max_length=200, blank=True)
    school_forms = models.CharField(max_length=40, blank=True)
    synthetic = models.BooleanField(default=False)
    synthetic_location = models.BooleanField(default=False)

    class Meta:
        ordering = ("name", "school_unit_code")

    def __str__(self) -> str:
        return f"{self.name} ({self.school_unit_code})"

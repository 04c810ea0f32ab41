"""Imported files (by SHA-256, so a repeated upload is detected) and the pupil register rows
they brought, pseudonymised. Personal identity numbers are never stored."""

from django.conf import settings
from django.db import models


class ImportedFile(models.Model):
    sha256 = models.CharField(max_length=64, unique=True)
    kind = models.CharField(max_length=30)
    filename = models.CharField(max_length=255)
    rows = models.IntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-uploaded_at", "-id")


class PupilRecord(models.Model):
    """One pupil in one register year (the import format's columns that the engine reads)."""

    source = models.ForeignKey(ImportedFile, on_delete=models.CASCADE, related_name="pupils")
    year = models.IntegerField(db_index=True)
    pupil_id = models.CharField(max_length=64)  # keyed pseudonym
    school_unit_code = models.CharField(max_length=8, db_index=True)
    school_form = models.CharField(max_length=4)
    grade = models.CharField(max_length=2)
    home_municipality = models.CharField(max_length=4)
    fields = models.JSONField(default=dict)  # the optional columns, as read

    class Meta:
        constraints = (models.UniqueConstraint(fields=["year", "pupil_id"], name="one_row_per_pupil_and_year"),)


class PublishedStatistic(models.Model):
    """A published figure from Skolverket (the results export or Planned Educations v4),
    kept as published: the value as text and its status (exists, suppressed "..", no data ".",
    near_all "~100")."""

    source = models.ForeignKey(ImportedFile, on_delete=models.CASCADE, related_name="statistics")
    school_unit_code = models.CharField(max_length=8, db_index=True)
    indicator = models.CharField(max_length=100)
    period = models.CharField(max_length=20)
    value = models.CharField(max_length=50, blank=True)
    status = models.CharField(max_length=60)

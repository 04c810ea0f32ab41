"""Imported files and the register snapshots they brought.

Why snapshots as columnar blobs: a run reads a whole year's register at once, in columns, and
nothing ever queries one pupil; a year of Stockholm (≈ 137 000 pupils) stored as one
zstd-compressed Parquet value is written and read in a few tens of milliseconds, where 137 000
ORM rows took seconds (docs/decisions/0002-register-snapshots.md). Every snapshot is
pseudonymised before it is written: no personal identity number is ever stored.
"""

from __future__ import annotations

import io

import polars as pl
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

KINDS = (
    ("pupils", _("Elevregister")),
    ("index", _("Socioekonomiskt index")),
    ("decisions", _("Individuella beslut")),
    ("rsu_groups", _("RSU-grupper")),
    ("baseline", _("Basårets pengar per elev")),
)


class ImportedFile(models.Model):
    """One file as imported: its content hash (for duplicate detection), what it brought."""

    sha256 = models.CharField(max_length=64, db_index=True)
    kind = models.CharField(max_length=30)
    filename = models.CharField(max_length=255)
    rows = models.IntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    summary = models.JSONField(default=dict)

    class Meta:
        ordering = ("-uploaded_at", "-id")

    def __str__(self) -> str:
        return self.filename

    @property
    def kind_label(self) -> str:
        return str(FILE_KINDS.get(self.kind, self.kind))


#: What an imported file was, as the import page names it.
FILE_KINDS = {**dict(KINDS), "schools": _("Skolregister"), "skolverket": _("Skolverkets statistik"), "skolverket_import": _("Skolverkets statistik"), "plan": _("Plan (mål och indikatorer)"), "outcomes": _("Utfall"), "targets": _("Skolornas målvärden"), "interventions": _("Insatskatalog")}


class Snapshot(models.Model):
    """One table of one year as imported (pupils, index, decisions or RSU groups).

    The newest snapshot of a kind and year is the current one; an import replaces it (the old
    one stays, marked ``replaced_by``, so a run keeps pointing at what it used).
    """

    kind = models.CharField(max_length=20, choices=KINDS)
    year = models.IntegerField()
    rows = models.IntegerField()
    #: SHA-256 of ``content``: an import whose table for a year is unchanged keeps the snapshot.
    digest = models.CharField(max_length=64)
    content = models.BinaryField()
    source = models.ForeignKey(ImportedFile, on_delete=models.PROTECT, related_name="snapshots")
    created_at = models.DateTimeField(auto_now_add=True)
    replaced_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replaced")

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = (models.Index(fields=["kind", "year"]),)

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.year} ({self.rows} rader)"

    @staticmethod
    def encode(frame: pl.DataFrame) -> bytes:
        buffer = io.BytesIO()
        frame.write_parquet(buffer, compression="zstd", statistics=False)
        return buffer.getvalue()

    @staticmethod
    def decode(content: bytes | memoryview) -> pl.DataFrame:
        return pl.read_parquet(io.BytesIO(bytes(content)))

    def frame(self) -> pl.DataFrame:
        return self.decode(self.content)


class ImportLock(models.Model):
    """A single row that imports lock, so two imports at once run one after the other."""

    name = models.CharField(max_length=20, unique=True)

"""Applications for a pupil's individual support (tilläggsbelopp for independent schools,
verksamhetsstöd for own schools; seed 001 L308–322, seed 000 L3654–3663).

A principal applies for a pupil of their school (the pupil by pseudonym only: a personal
identity number typed into the form is replaced by the register's keyed pseudonym before
anything is stored); the office grants (amount, period of at most 12 months, extensive
support or not) or refuses. A renewal points at the grant it continues and carries the
account of how that support was used and what it achieved. Nothing is deleted: a decision is
final, and every step leaves an audit row (``actions``).
"""

from django.conf import settings
from django.db import models

from likvard.web.schools.models import School

STATES = (("submitted", "Inkommen"), ("granted", "Beviljad"), ("refused", "Avslagen"))


class Application(models.Model):
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="support_applications")
    #: The register's pupil id (a keyed pseudonym, or the register's own id): never a
    #: personal identity number in clear.
    pupil_id = models.CharField(max_length=64)
    need = models.TextField()
    amount_asked_ore = models.BigIntegerField()
    start = models.DateField()
    end = models.DateField()
    extensive_asked = models.BooleanField(default=False)
    renewal_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="renewals")
    use_report = models.TextField(blank=True)  # how the earlier support was used
    results_report = models.TextField(blank=True)  # what it achieved
    state = models.CharField(max_length=10, choices=STATES, default="submitted")
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    applied_at = models.DateTimeField(auto_now_add=True)
    granted_amount_ore = models.BigIntegerField(null=True, blank=True)
    granted_start = models.DateField(null=True, blank=True)
    granted_end = models.DateField(null=True, blank=True)
    extensive = models.BooleanField(default=False)
    decision_note = models.TextField(blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-applied_at", "-id")
        indexes = (models.Index(fields=["school", "pupil_id"]), models.Index(fields=["state", "granted_start", "granted_end"]))

    def __str__(self) -> str:
        return f"ansökan {self.pk} ({self.school.name})"

"""The audit log: who changed which rule, amount, school or data set, when, from what to what."""

from django.conf import settings
from django.db import models


class AuditEntry(models.Model):
    """One change, written in the same transaction as the change itself (``record``)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    at = models.DateTimeField(auto_now_add=True)
    action = models.CharField(max_length=50)
    target = models.CharField(max_length=200)
    before = models.JSONField(null=True)
    after = models.JSONField(null=True)

    class Meta:
        ordering = ("-at", "-id")

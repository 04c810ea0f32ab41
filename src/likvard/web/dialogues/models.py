"""Result dialogues between a principal and the area chief (seed 001 L122–134, L290–306).

One per school and year, structured so that chosen interventions can be linked to results and
summarised per area and for the office: the principal drafts, the area chief completes and
locks. A locked dialogue changes only by a new version (the old one stays as it was).
"""

from django.conf import settings
from django.db import models

from likvard.web.interventions.models import Intervention
from likvard.web.schools.models import School

STATES = (("draft", "Utkast"), ("completed", "Kompletterad"), ("locked", "Låst"))
#: The development areas a dialogue can name (counted per area and for the office).
THEMES = (
    ("reading", "Läsa och skriva"),
    ("maths", "Matematik"),
    ("calm", "Studiero"),
    ("attendance", "Närvaro"),
    ("safety", "Trygghet"),
    ("health", "Elevhälsa"),
    ("newcomers", "Nyanlända elever"),
    ("teachers", "Kompetensförsörjning"),
    ("leadership", "Ledning och organisation"),
    ("guardians", "Samverkan med vårdnadshavare"),
)


class Dialogue(models.Model):
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="dialogues")
    year = models.IntegerField()
    version = models.IntegerField(default=1)
    state = models.CharField(max_length=10, choices=STATES, default="draft")
    success_factors = models.TextField(blank=True)
    development_areas = models.TextField(blank=True)
    themes = models.JSONField(default=list, blank=True)
    support_requested = models.ManyToManyField(Intervention, blank=True, related_name="requested_in")
    support_text = models.TextField(blank=True)
    money_use = models.TextField(blank=True)  # how the socioeconomic money and Kunskapsbidraget were used and what they achieved
    targets_comment = models.TextField(blank=True)  # the school's targets against last year's outcomes
    agreed_actions = models.TextField(blank=True)
    chief_comment = models.TextField(blank=True)
    drafted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    locked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    locked_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("school", "-year", "-version")
        constraints = (models.UniqueConstraint(fields=["school", "year", "version"], name="one_dialogue_version_per_school_year"),)

    def theme_labels(self) -> list[str]:
        labels = dict(THEMES)
        return [labels[t] for t in self.themes if t in labels]

from django.apps import AppConfig


class GoalsConfig(AppConfig):
    name = "likvard.web.goals"
    label = "goals"
    verbose_name = "Mål och uppföljning"

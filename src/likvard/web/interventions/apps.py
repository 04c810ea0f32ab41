from django.apps import AppConfig


class InterventionsConfig(AppConfig):
    name = "likvard.web.interventions"
    label = "interventions"
    verbose_name = "Insatser"

from django.apps import AppConfig


class ResultsConfig(AppConfig):
    name = "likvard.web.results"
    label = "results"
    verbose_name = "Resultat"

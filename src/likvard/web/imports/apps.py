from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "likvard.web.imports"
    label = "imports"
    verbose_name = "Import"

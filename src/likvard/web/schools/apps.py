from django.apps import AppConfig


class SchoolsConfig(AppConfig):
    name = "likvard.web.schools"
    label = "schools"
    verbose_name = "Skolor"

from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "likvard.web.api"
    label = "api"
    verbose_name = "API"

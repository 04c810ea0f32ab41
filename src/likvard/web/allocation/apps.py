from django.apps import AppConfig


class AllocationConfig(AppConfig):
    name = "likvard.web.allocation"
    label = "allocation"
    verbose_name = "Resursfördelning"

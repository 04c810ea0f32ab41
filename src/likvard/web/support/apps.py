from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "likvard.web.support"
    label = "support"
    verbose_name = "Ansökningar om tilläggsbelopp och verksamhetsstöd"

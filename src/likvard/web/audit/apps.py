from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "likvard.web.audit"
    label = "audit"
    verbose_name = "Ändringslogg"

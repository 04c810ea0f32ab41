from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "likvard.web.accounts"
    label = "accounts"
    verbose_name = "Konton och roller"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (security logging)

from django.apps import AppConfig


class DialoguesConfig(AppConfig):
    name = "likvard.web.dialogues"
    label = "dialogues"
    verbose_name = "Resultatdialoger"

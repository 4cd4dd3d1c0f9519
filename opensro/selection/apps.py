from django.apps import AppConfig


class SelectionConfig(AppConfig):
    name = "opensro.selection"
    label = "selection"
    verbose_name = "SRO selection"

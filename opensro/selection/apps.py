from django.apps import AppConfig


class SelectionConfig(AppConfig):
    name = "opensro.selection"

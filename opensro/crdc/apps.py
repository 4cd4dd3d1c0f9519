from django.apps import AppConfig


class CrdcConfig(AppConfig):
    name = "opensro.crdc"

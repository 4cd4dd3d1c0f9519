from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "opensro.core"
    label = "core"
    verbose_name = "Core"

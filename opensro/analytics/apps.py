from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "opensro.analytics"
    label = "analytics"
    verbose_name = "Analytics"

from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "opensro.surveys"

    def ready(self) -> None:
        from opensro.core.flags import register_due_source
        from opensro.surveys.due import closing_windows

        register_due_source(closing_windows)

from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "opensro.training"
    label = "training"
    verbose_name = "Training"

    def ready(self) -> None:
        from opensro.training import imports  # noqa: F401  (registers the importer)
        from opensro.training.services import register

        register()

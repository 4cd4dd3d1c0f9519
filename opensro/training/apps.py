from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "opensro.training"
    label = "training"
    verbose_name = "Training"

    def ready(self) -> None:
        from opensro.training import imports  # noqa: F401  (registers the importer)
        from opensro.training.services import register

        register()
        from opensro.core.reference import register_seed
        from opensro.training.catalog import seed as seed_catalog

        register_seed(self.label, lambda a: seed_catalog(
            a.get_model("training", "Course"), a.get_model("training", "PolicyProfile"),
            a.get_model("training", "RequirementRule")))

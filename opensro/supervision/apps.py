from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "opensro.supervision"
    verbose_name = "Supervision and evaluation"

    def ready(self) -> None:
        from opensro.supervision.services import register

        register()
        from opensro.core.reference import register_seed
        from opensro.supervision.instrument import seed_standard_instrument

        register_seed("supervision", lambda a: seed_standard_instrument(
            a.get_model("supervision", "RatingInstrument"),
            a.get_model("supervision", "RatingCriterion")))

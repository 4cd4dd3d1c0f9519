from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "opensro.incidents"
    label = "incidents"
    verbose_name = "Incident records"

    def ready(self) -> None:
        from opensro.incidents import imports  # noqa: F401  (registers the importer)
        from opensro.incidents.services import register_flag_kinds

        register_flag_kinds()
        from opensro.core.reference import register_seed
        from opensro.incidents.taxonomy import seed_reasons

        register_seed(self.label,
                      lambda a: seed_reasons(a.get_model("incidents", "IncidentReason")))

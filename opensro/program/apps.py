from django.apps import AppConfig


class ProgramConfig(AppConfig):
    name = "opensro.program"
    label = "program"
    verbose_name = "Program administration"

    def ready(self) -> None:
        from opensro.program.services import register_flag_kinds

        register_flag_kinds()
        from opensro.core.reference import register_seed
        from opensro.program.catalog import seed_elements

        register_seed(self.label, lambda a: seed_elements(a.get_model("program", "MouElement")))

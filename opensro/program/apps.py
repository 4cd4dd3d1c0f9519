from django.apps import AppConfig


class ProgramConfig(AppConfig):
    name = "opensro.program"
    label = "program"
    verbose_name = "Program administration"

    def ready(self) -> None:
        from opensro.program.services import register_flag_kinds

        register_flag_kinds()

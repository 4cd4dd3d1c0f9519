from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "opensro.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from opensro.core.reference import reseed

        post_migrate.connect(reseed, dispatch_uid="opensro-reseed-reference-data")

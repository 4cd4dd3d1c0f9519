from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "opensro.directory"
    label = "directory"
    verbose_name = "Directory"

    def ready(self) -> None:
        from opensro.directory import imports  # noqa: F401  (registers the importer)

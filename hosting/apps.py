from django.apps import AppConfig


class HostingConfig(AppConfig):
    name = "hosting"
    verbose_name = "Hosting"

    def ready(self) -> None:
        from hosting import (
            beat,  # noqa: F401  (registers the periodic schedule)
            signals,  # noqa: F401  (a deleted tenant's network goes too)
        )

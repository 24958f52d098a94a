"""App config for call handling and dispatch (接处警)."""

import os

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "jingwu.incidents"
    verbose_name = _("接处警")

    def ready(self) -> None:
        from jingwu.incidents import receivers  # noqa: F401  (arrival on scene from positions)

        # `make demo` sets JINGWU_DEMO_FEED=1 for the server process only.
        if os.environ.get("JINGWU_DEMO_FEED") == "1":
            from jingwu.incidents import feeder

            feeder.start_in_background()

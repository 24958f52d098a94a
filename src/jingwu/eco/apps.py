"""App config for ecological policing."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EcoConfig(AppConfig):
    name = "jingwu.eco"
    verbose_name = _("生态警务")

    def ready(self) -> None:
        from jingwu.eco import receivers  # noqa: F401  (eco incidents to both chiefs)

"""App config for areas."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AreasConfig(AppConfig):
    name = "jingwu.areas"
    verbose_name = _("辖区")

    def ready(self) -> None:
        from jingwu.areas import signals  # noqa: F401  (a saved area refreshes the index)

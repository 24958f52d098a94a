"""App config for patrol units, shifts, positions and cameras."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UnitsConfig(AppConfig):
    name = "jingwu.units"
    verbose_name = _("巡防力量")

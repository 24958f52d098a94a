"""App config for the console pages."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsoleConfig(AppConfig):
    name = "jingwu.console"
    verbose_name = _("指挥台")

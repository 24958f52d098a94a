"""App config for the demo district."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    name = "jingwu.demo"
    verbose_name = _("演示辖区")

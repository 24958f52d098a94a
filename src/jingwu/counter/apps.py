"""App config for citizen services."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CounterConfig(AppConfig):
    name = "jingwu.counter"
    verbose_name = _("便民服务")

"""App config for response figures."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "jingwu.analytics"
    verbose_name = _("统计分析")

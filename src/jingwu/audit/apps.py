"""App config for the audit log."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "jingwu.audit"
    verbose_name = _("审计日志")

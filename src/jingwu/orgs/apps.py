"""App config for organizations and people."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgsConfig(AppConfig):
    name = "jingwu.orgs"
    verbose_name = _("单位与人员")

    def ready(self) -> None:
        from jingwu.orgs import signals  # noqa: F401  (connects the log-in audit receivers)

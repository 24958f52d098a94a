"""App config for joint command."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JointcmdConfig(AppConfig):
    name = "jingwu.jointcmd"
    verbose_name = _("路地联勤")

    def ready(self) -> None:
        from jingwu.jointcmd import receivers  # noqa: F401  (sharing rules on new incidents)

"""Areas of every tier, each a polygon with an owning organization."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from jingwu.orgs.models import Organization


class Level(models.TextChoices):
    BRANCH = "branch", _("分局辖区")
    STATION = "station", _("派出所辖区")
    WORKSTATION = "workstation", _("警务站防区")
    POLICE_ROOM = "police_room", _("警务室责任区")
    GRID = "grid", _("网格")


#: Tier order: a level's parent is the level before it.
LEVEL_ORDER = [Level.BRANCH, Level.STATION, Level.WORKSTATION, Level.POLICE_ROOM, Level.GRID]


class Area(models.Model):
    """One area of one tier. ``geometry`` is a GeoJSON Polygon or MultiPolygon in WGS-84.

    ``post_lat``/``post_lon`` locate the post's building (a workstation's desk) when known.
    ``illustrative`` marks generated demo polygons that real boundaries must replace.
    """

    level = models.CharField(_("层级"), max_length=16, choices=Level.choices, db_index=True)
    code = models.CharField(_("代码"), max_length=64, unique=True)
    name = models.CharField(_("名称"), max_length=120)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级辖区"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("责任单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="areas",
    )
    geometry = models.JSONField(_("边界（GeoJSON）"))
    post_lat = models.FloatField(_("驻点纬度"), null=True, blank=True)
    post_lon = models.FloatField(_("驻点经度"), null=True, blank=True)
    illustrative = models.BooleanField(_("示意数据"), default=False)
    population = models.PositiveIntegerField(_("常住人口"), null=True, blank=True)
    properties = models.JSONField(_("其他属性"), default=dict, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("辖区")
        verbose_name_plural = _("辖区")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name

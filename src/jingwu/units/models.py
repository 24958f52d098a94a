"""Patrol units of the five tiers, their shifts and position reports, and the camera registry."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jingwu.orgs.models import Organization, Person


class Tier(models.Model):
    """One tier of the patrol system (五级巡防). Levels and names are configuration (admin).

    Defaults: 1 police car, 2 workstation police, 3 auxiliary patrol, 4 property / enterprise
    security, 5 volunteers. The dispatch rules read the level number.
    """

    level = models.PositiveSmallIntegerField(_("级别"), unique=True)
    name = models.CharField(_("名称"), max_length=40)
    description = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("巡防层级")
        verbose_name_plural = _("巡防层级")
        ordering = ["level"]

    def __str__(self) -> str:
        return f"{self.level} · {self.name}"


#: The default tiers: (level, name, description). A data migration writes them once.
DEFAULT_TIERS = [
    (1, "巡逻警车", "派出所、警务站的巡逻车组"),
    (2, "警务站民警", "警务站民警，步巡或电动车巡逻"),
    (3, "辅警巡逻", "辅警巡逻队"),
    (4, "物业保安", "物业、企业保安力量"),
    (5, "平安志愿者", "群防群治志愿者"),
]


class Mode(models.TextChoices):
    CAR = "car", _("汽车")
    EBIKE = "ebike", _("电动自行车")
    FOOT = "foot", _("步行")


class UnitStatus(models.TextChoices):
    OFF_DUTY = "off_duty", _("不在岗")
    AVAILABLE = "available", _("空闲")
    DISPATCHED = "dispatched", _("已派出")
    EN_ROUTE = "en_route", _("出警途中")
    ON_SCENE = "on_scene", _("在现场")
    RETURNING = "returning", _("返回中")


#: Statuses in which a unit may be sent to a new call (returning means: free, heading back).
DISPATCHABLE = frozenset({UnitStatus.AVAILABLE, UnitStatus.RETURNING})
#: Statuses in which a unit is working a call.
ON_CALL = frozenset({UnitStatus.DISPATCHED, UnitStatus.EN_ROUTE, UnitStatus.ON_SCENE})

#: The unit lifecycle: status → statuses it may move to.
UNIT_TRANSITIONS: dict[str, frozenset[str]] = {
    UnitStatus.OFF_DUTY: frozenset({UnitStatus.AVAILABLE}),
    UnitStatus.AVAILABLE: frozenset({UnitStatus.OFF_DUTY, UnitStatus.DISPATCHED}),
    UnitStatus.DISPATCHED: frozenset(
        {UnitStatus.EN_ROUTE, UnitStatus.ON_SCENE, UnitStatus.AVAILABLE, UnitStatus.RETURNING}
    ),
    UnitStatus.EN_ROUTE: frozenset(
        {UnitStatus.ON_SCENE, UnitStatus.AVAILABLE, UnitStatus.RETURNING}
    ),
    UnitStatus.ON_SCENE: frozenset({UnitStatus.RETURNING, UnitStatus.AVAILABLE}),
    UnitStatus.RETURNING: frozenset(
        {UnitStatus.AVAILABLE, UnitStatus.DISPATCHED, UnitStatus.OFF_DUTY}
    ),
}


class Unit(models.Model):
    """A patrol unit: a car, an officer on an e-bike, a foot patrol, a guard post, volunteers.

    ``status`` and ``current_incident_id`` change only through conditional updates in
    ``units.services`` (a unit is claimed with ``UPDATE … WHERE status IN (free statuses)``).
    ``current_incident_id`` is a plain integer, not a foreign key: incidents sit above units
    in the app order, and a unit never needs to read its incident.
    ``last_*`` hold the latest position fix (the history is in ``PositionReport``).
    """

    code = models.CharField(_("呼号"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=80)
    tier = models.ForeignKey(
        Tier, verbose_name=_("巡防层级"), to_field="level", on_delete=models.PROTECT
    )
    mode = models.CharField(_("出行方式"), max_length=8, choices=Mode.choices)
    workstation = models.ForeignKey(
        Organization,
        verbose_name=_("所属警务站"),
        on_delete=models.PROTECT,
        related_name="home_units",
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("所属单位"),
        on_delete=models.PROTECT,
        related_name="units",
        help_text=_("警务站本身，或保安公司、志愿者队伍等协作单位。"),
    )
    members = models.ManyToManyField(
        Person, verbose_name=_("成员"), blank=True, related_name="units"
    )
    skills = models.JSONField(_("技能"), default=list, blank=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=UnitStatus.choices, default=UnitStatus.OFF_DUTY
    )
    status_changed_at = models.DateTimeField(_("状态变更时间"), null=True, blank=True)
    current_incident_id = models.BigIntegerField(_("当前警情"), null=True, blank=True)
    post_lat = models.FloatField(_("驻点纬度"), null=True, blank=True)
    post_lon = models.FloatField(_("驻点经度"), null=True, blank=True)
    last_lat = models.FloatField(_("最新纬度"), null=True, blank=True)
    last_lon = models.FloatField(_("最新经度"), null=True, blank=True)
    last_accuracy_m = models.FloatField(_("定位精度（米）"), null=True, blank=True)
    last_fix_at = models.DateTimeField(_("最新定位时间"), null=True, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("巡防力量")
        verbose_name_plural = _("巡防力量")
        ordering = ["tier_id", "code"]
        indexes = [models.Index(fields=["status"], name="unit_status")]

    def __str__(self) -> str:
        return self.name


class Shift(models.Model):
    """A unit on duty from ``starts_at`` to ``ends_at``: "available" means on shift and free."""

    unit = models.ForeignKey(
        Unit, verbose_name=_("巡防力量"), on_delete=models.CASCADE, related_name="shifts"
    )
    starts_at = models.DateTimeField(_("开始"))
    ends_at = models.DateTimeField(_("结束"))
    note = models.CharField(_("备注"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("班次")
        verbose_name_plural = _("班次")
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["unit", "starts_at", "ends_at"], name="shift_window")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="shift_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.starts_at:%m-%d %H:%M}–{self.ends_at:%H:%M}"


class PositionReport(models.Model):
    """One position fix of a unit (WGS-84), as reported by its device or the demo feeder."""

    unit = models.ForeignKey(
        Unit, verbose_name=_("巡防力量"), on_delete=models.CASCADE, related_name="positions"
    )
    lat = models.FloatField(_("纬度"))
    lon = models.FloatField(_("经度"))
    accuracy_m = models.FloatField(_("精度（米）"), null=True, blank=True)
    fix_at = models.DateTimeField(_("定位时间"))
    received_at = models.DateTimeField(_("接收时间"))
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上报账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("定位记录")
        verbose_name_plural = _("定位记录")
        indexes = [models.Index(fields=["unit", "fix_at"], name="position_unit_time")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.lat:.5f},{self.lon:.5f} {self.fix_at:%H:%M:%S}"


class Camera(models.Model):
    """A public-video point (视频点位): where it is, which way it looks, who owns it, what it sees.

    ``direction_deg`` is the compass bearing of the view (0 = north, clockwise), empty for a
    dome that sees all round; ``fov_deg`` the width of its view.
    """

    code = models.CharField(_("点位编号"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=80)
    lat = models.FloatField(_("纬度"))
    lon = models.FloatField(_("经度"))
    direction_deg = models.FloatField(_("朝向（度）"), null=True, blank=True)
    fov_deg = models.FloatField(_("视角（度）"), default=90)
    owner = models.ForeignKey(
        Organization, verbose_name=_("权属单位"), on_delete=models.PROTECT, related_name="cameras"
    )
    sees = models.CharField(_("监控内容"), max_length=200, blank=True)
    is_active = models.BooleanField(_("在线"), default=True)

    class Meta:
        verbose_name = _("视频点位")
        verbose_name_plural = _("视频点位")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

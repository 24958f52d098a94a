"""Eco zones co-owned by a forest chief and a police chief (林长+警长), their daily fire risk,
their patrol routes and the joint cases that move between forestry and police."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jingwu.incidents.models import Incident
from jingwu.jointcmd.models import PatrolPlan
from jingwu.orgs.models import Organization, Person


class EcoIncidentType(models.TextChoices):
    """Incident types that reach both chiefs of the zone they happen in."""

    FIRE = "fire", _("火情")
    ILLEGAL_LOGGING = "illegal_logging", _("盗伐林木")
    POACHING = "poaching", _("非法狩猎")
    ILLEGAL_MINING = "illegal_mining", _("非法采砂采石")
    POLLUTION = "pollution", _("污染环境")
    LAND_OCCUPATION = "land_occupation", _("非法占用林地")


class FireRisk(models.IntegerChoices):
    """The national five-level forest fire danger rating (森林火险等级)."""

    LOW = 1, _("一级 低度危险")
    MODERATE = 2, _("二级 中度危险")
    HIGH = 3, _("三级 较高危险")
    VERY_HIGH = 4, _("四级 高度危险")
    EXTREME = 5, _("五级 极度危险")


class EcoZone(models.Model):
    """An eco zone (a polygon) and its chief pair: the forestry side and the police side."""

    code = models.CharField(_("代码"), max_length=64, unique=True)
    name = models.CharField(_("名称"), max_length=120)
    geometry = models.JSONField(_("范围（GeoJSON）"))
    forest_org = models.ForeignKey(
        Organization, verbose_name=_("林业单位"), on_delete=models.PROTECT, related_name="+"
    )
    police_org = models.ForeignKey(
        Organization, verbose_name=_("公安单位"), on_delete=models.PROTECT, related_name="+"
    )
    forest_chief = models.ForeignKey(
        Person, verbose_name=_("林长"), on_delete=models.PROTECT, related_name="+"
    )
    police_chief = models.ForeignKey(
        Person, verbose_name=_("警长"), on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(_("说明"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("生态区")
        verbose_name_plural = _("生态区")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class RiskSource(models.TextChoices):
    ENTERED = "entered", _("人工录入")
    SEASON = "season", _("季节规则")


class FireRiskReading(models.Model):
    """A zone's fire-risk level entered for one day (otherwise the season rule applies)."""

    zone = models.ForeignKey(
        EcoZone, verbose_name=_("生态区"), on_delete=models.CASCADE, related_name="fire_risks"
    )
    day = models.DateField(_("日期"))
    level = models.PositiveSmallIntegerField(_("火险等级"), choices=FireRisk.choices)
    note = models.CharField(_("依据"), max_length=200, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    entered_at = models.DateTimeField(_("录入时间"))

    class Meta:
        verbose_name = _("火险等级")
        verbose_name_plural = _("火险等级")
        ordering = ["-day"]
        constraints = [
            models.UniqueConstraint(fields=["zone", "day"], name="eco_fire_risk_once_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.zone} {self.day} {self.level}"


class EcoPatrol(models.Model):
    """A patrol plan that patrols an eco zone (the plan itself lives in joint command)."""

    zone = models.ForeignKey(
        EcoZone, verbose_name=_("生态区"), on_delete=models.CASCADE, related_name="patrols"
    )
    plan = models.OneToOneField(
        PatrolPlan, verbose_name=_("巡逻计划"), on_delete=models.CASCADE, related_name="eco"
    )

    class Meta:
        verbose_name = _("生态巡护路线")
        verbose_name_plural = _("生态巡护路线")

    def __str__(self) -> str:
        return f"{self.zone} · {self.plan}"


class CaseStatus(models.TextChoices):
    OPEN = "open", _("办理中")
    CLOSED = "closed", _("已办结")


class EcoCase(models.Model):
    """A joint case of a zone, held by forestry or police at a time and moved between them."""

    zone = models.ForeignKey(
        EcoZone, verbose_name=_("生态区"), on_delete=models.PROTECT, related_name="cases"
    )
    title = models.CharField(_("标题"), max_length=200)
    kind = models.CharField(_("类别"), max_length=32, choices=EcoIncidentType.choices)
    incident = models.ForeignKey(
        Incident,
        verbose_name=_("关联警情"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    holder = models.ForeignKey(
        Organization, verbose_name=_("承办单位"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("状态"), max_length=8, choices=CaseStatus.choices, default=CaseStatus.OPEN
    )
    opened_at = models.DateTimeField(_("立案时间"))
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("生态联办案件")
        verbose_name_plural = _("生态联办案件")
        ordering = ["-opened_at"]

    def __str__(self) -> str:
        return self.title


class EntryKind(models.TextChoices):
    OPENED = "opened", _("立案")
    NOTE = "note", _("办理记录")
    TRANSFERRED = "transferred", _("移交")
    CLOSED = "closed", _("办结")


class EcoCaseEntry(models.Model):
    """One line of a joint case's timeline, seen by both sides."""

    case = models.ForeignKey(
        EcoCase, verbose_name=_("案件"), on_delete=models.CASCADE, related_name="entries"
    )
    at = models.DateTimeField(_("时间"))
    kind = models.CharField(_("类别"), max_length=12, choices=EntryKind.choices)
    organization = models.ForeignKey(
        Organization, verbose_name=_("单位"), on_delete=models.PROTECT, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    text = models.TextField(_("内容"), blank=True)

    class Meta:
        verbose_name = _("案件记录")
        verbose_name_plural = _("案件记录")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.case} · {self.get_kind_display()}"

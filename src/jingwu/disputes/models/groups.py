"""Directors' groups (双解主任群) and the leads their members post."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from jingwu.disputes.models.cases import Case, Jurisdiction
from jingwu.disputes.models.choices import LeadSource, LeadStatus
from jingwu.orgs.models import Organization, Person


class DirectorsGroup(models.Model):
    """A workstation's 双解主任群: the grid police chief and directors of partner organizations."""

    workstation = models.OneToOneField(
        Organization,
        verbose_name=_("警务站"),
        on_delete=models.PROTECT,
        related_name="directors_group",
    )
    name = models.CharField(_("名称"), max_length=120)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("双解主任群")
        verbose_name_plural = _("双解主任群")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class GroupMember(models.Model):
    """A person in a directors' group, for one of their organizations; ``is_lead`` runs it."""

    group = models.ForeignKey(
        DirectorsGroup, verbose_name=_("群"), on_delete=models.CASCADE, related_name="members"
    )
    person = models.ForeignKey(
        Person, verbose_name=_("人员"), on_delete=models.CASCADE, related_name="+"
    )
    organization = models.ForeignKey(
        Organization, verbose_name=_("单位"), on_delete=models.PROTECT, related_name="+"
    )
    is_lead = models.BooleanField(_("牵头人"), default=False)

    class Meta:
        verbose_name = _("群成员")
        verbose_name_plural = _("群成员")
        constraints = [
            models.UniqueConstraint(fields=["group", "person"], name="disputes_member_unique")
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.organization}"


class Lead(Jurisdiction):
    """A sign of a dispute posted to a directors' group, before it is a case."""

    group = models.ForeignKey(
        DirectorsGroup,
        verbose_name=_("双解主任群"),
        on_delete=models.PROTECT,
        related_name="leads",
    )
    text = models.TextField(_("线索内容"))
    address = models.CharField(_("地点"), max_length=200, blank=True)
    address_key = models.CharField(max_length=200, blank=True, db_index=True, editable=False)
    lat = models.FloatField(_("纬度"))
    lon = models.FloatField(_("经度"))
    source = models.CharField(_("来源"), max_length=16, choices=LeadSource.choices)
    status = models.CharField(
        _("状态"),
        max_length=16,
        choices=LeadStatus.choices,
        default=LeadStatus.OPEN,
        db_index=True,
    )
    reporter = models.ForeignKey(
        Person, verbose_name=_("报告人"), on_delete=models.PROTECT, related_name="+"
    )
    reporter_org = models.ForeignKey(
        Organization, verbose_name=_("报告单位"), on_delete=models.PROTECT, related_name="+"
    )
    case = models.ForeignKey(
        Case,
        verbose_name=_("立案/并入案件"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="leads",
    )
    decided_by = models.ForeignKey(
        Person,
        verbose_name=_("处理人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    dismiss_reason = models.TextField(_("排除理由"), blank=True)
    incident = models.ForeignKey(
        "incidents.Incident",
        verbose_name=_("关联警情"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    tokens = models.TextField(_("分词"), blank=True, editable=False)
    created_at = models.DateTimeField(_("报告时间"), db_index=True)
    updated_at = models.DateTimeField(_("更新时间"), db_index=True)

    class Meta:
        verbose_name = _("纠纷线索")
        verbose_name_plural = _("纠纷线索")
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.text[:30]

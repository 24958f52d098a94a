"""Cases and what hangs on them: the jurisdiction columns, parties, participants, the timeline
with attachments, mediation sessions, agreements, risk history, stage deadlines.

Every case (and lead) stores the areas its point falls in and the organizations owning them,
so "police of the jurisdiction" is a plain column comparison (see ``services.access``).
Personal data lives only in ``Party.id_number``, ``Party.phone`` and ``Party.address`` (and
the free text).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from jingwu.areas.models import Area
from jingwu.disputes.models.choices import (
    DisputeType,
    EntryKind,
    LeadSource,
    ParticipantRole,
    PartyKind,
    PartyRole,
    Referral,
    Risk,
    Stage,
)
from jingwu.orgs.models import Organization, Person


class Jurisdiction(models.Model):
    """The areas containing a point, and their owning organizations (filled on creation)."""

    branch_area = models.ForeignKey(
        Area,
        verbose_name=_("分局辖区"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    station_area = models.ForeignKey(
        Area,
        verbose_name=_("派出所辖区"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    workstation_area = models.ForeignKey(
        Area,
        verbose_name=_("警务站防区"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    room_area = models.ForeignKey(
        Area,
        verbose_name=_("警务室责任区"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    grid_area = models.ForeignKey(
        Area,
        verbose_name=_("网格"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    branch_org = models.ForeignKey(
        Organization,
        verbose_name=_("分局"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    station_org = models.ForeignKey(
        Organization,
        verbose_name=_("派出所"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    workstation_org = models.ForeignKey(
        Organization,
        verbose_name=_("警务站"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    room_org = models.ForeignKey(
        Organization,
        verbose_name=_("警务室"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    grid_org = models.ForeignKey(
        Organization,
        verbose_name=_("网格责任单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        abstract = True

    def jurisdiction_org_ids(self) -> set[int]:
        """The police units whose areas contain this point."""
        ids = (
            self.branch_org_id,
            self.station_org_id,
            self.workstation_org_id,
            self.room_org_id,
            self.grid_org_id,
        )
        return {i for i in ids if i is not None}


class Case(Jurisdiction):
    """A dispute case, from registration to closing or referral.

    ``stage`` changes only through ``services.cases.transition`` (a conditional update).
    ``risk`` is the effective level: the higher of ``risk_declared`` and the rules' score.
    """

    title = models.CharField(_("标题"), max_length=80)
    type = models.CharField(_("纠纷类型"), max_length=16, choices=DisputeType.choices)
    description = models.TextField(_("纠纷情况"))
    address = models.CharField(_("地点"), max_length=200, blank=True)
    address_key = models.CharField(max_length=200, blank=True, db_index=True, editable=False)
    lat = models.FloatField(_("纬度"))
    lon = models.FloatField(_("经度"))
    source = models.CharField(
        _("来源"), max_length=16, choices=LeadSource.choices, default=LeadSource.GRID_PATROL
    )
    stage = models.CharField(
        _("阶段"), max_length=16, choices=Stage.choices, default=Stage.REGISTERED, db_index=True
    )
    stage_entered_at = models.DateTimeField(_("进入本阶段"))
    due_at = models.DateTimeField(_("本阶段期限"), null=True, blank=True, db_index=True)
    risk = models.CharField(_("风险等级"), max_length=16, choices=Risk.choices, default=Risk.LOW)
    risk_declared = models.CharField(
        _("登记风险等级"), max_length=16, choices=Risk.choices, default=Risk.LOW
    )
    risk_score = models.PositiveIntegerField(_("风险分"), default=0)
    risk_reasons = models.JSONField(_("风险依据"), default=list, blank=True)
    #: The 110 incident this case came from (one case per incident); it stays linked.
    incident = models.ForeignKey(
        "incidents.Incident",
        verbose_name=_("关联警情"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    first_110_at = models.DateTimeField(_("首次 110 报警时间"), null=True, blank=True)
    settled_at = models.DateTimeField(_("化解时间"), null=True, blank=True)
    settled_from = models.CharField(_("化解前阶段"), max_length=16, blank=True)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    outcome_reason = models.TextField(_("调解不成/移交原因"), blank=True)
    referral_to = models.CharField(
        _("移交去向"), max_length=16, choices=Referral.choices, blank=True
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("并入"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_cases",
    )
    tokens = models.TextField(_("分词"), blank=True, editable=False)
    created_by = models.ForeignKey(
        Person, verbose_name=_("登记人"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("登记时间"), db_index=True)
    updated_at = models.DateTimeField(_("更新时间"), db_index=True)

    class Meta:
        verbose_name = _("纠纷案件")
        verbose_name_plural = _("纠纷案件")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident"],
                condition=models.Q(incident__isnull=False),
                name="disputes_one_case_per_incident",
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def number(self) -> str:
        """The case number shown to people: JF-<year>-<id>."""
        return f"JF-{self.created_at:%Y}-{self.pk:05d}"


class Party(models.Model):
    """A party to a case (or a lead): a person with ID number and phone, or an organization."""

    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.CASCADE, related_name="parties"
    )
    lead = models.ForeignKey(
        "disputes.Lead", null=True, blank=True, on_delete=models.CASCADE, related_name="parties"
    )
    kind = models.CharField(
        _("类别"), max_length=16, choices=PartyKind.choices, default=PartyKind.PERSON
    )
    role = models.CharField(
        _("身份"), max_length=16, choices=PartyRole.choices, default=PartyRole.APPLICANT
    )
    name = models.CharField(_("姓名/名称"), max_length=120)
    id_number = models.CharField(_("身份证号"), max_length=18, blank=True, db_index=True)
    phone = models.CharField(_("手机号"), max_length=20, blank=True, db_index=True)
    address = models.CharField(_("住址"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("当事方")
        verbose_name_plural = _("当事方")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Participant(models.Model):
    """A person taking part in a case for an organization, in one role; they see the case."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="participants")
    person = models.ForeignKey(
        Person, verbose_name=_("人员"), on_delete=models.PROTECT, related_name="+"
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    role = models.CharField(_("角色"), max_length=16, choices=ParticipantRole.choices)
    #: For people of bodies that are not organizations here (a testing agency, a court).
    affiliation = models.CharField(_("所属机构"), max_length=120, blank=True)
    added_at = models.DateTimeField(_("加入时间"))

    class Meta:
        verbose_name = _("参与人")
        verbose_name_plural = _("参与人")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "person"], name="disputes_participant_unique")
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.get_role_display()}"


class TimelineEntry(models.Model):
    """One step in a case, visible to all its participants. Append-only."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(_("类别"), max_length=24, choices=EntryKind.choices)
    text = models.TextField(_("内容"), blank=True)
    data = models.JSONField(_("数据"), default=dict, blank=True)
    author = models.ForeignKey(
        Person,
        verbose_name=_("记录人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    author_org = models.ForeignKey(
        Organization,
        verbose_name=_("记录单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    happened_at = models.DateTimeField(_("发生时间"))
    created_at = models.DateTimeField(_("记录时间"))

    class Meta:
        verbose_name = _("进展记录")
        verbose_name_plural = _("进展记录")
        ordering = ["happened_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.happened_at:%Y-%m-%d}"


class Attachment(models.Model):
    """A file attached to a timeline entry or a lead (photo, finding, minutes); kept in the
    database so a single SQLite file or PostgreSQL backup holds the whole case."""

    entry = models.ForeignKey(
        TimelineEntry, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    lead = models.ForeignKey(
        "disputes.Lead", null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    name = models.CharField(_("文件名"), max_length=120)
    content_type = models.CharField(_("类型"), max_length=80)
    size = models.PositiveIntegerField(_("大小"))
    sha256 = models.CharField(max_length=64)
    data = models.BinaryField()
    uploaded_by = models.ForeignKey(Person, null=True, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"))

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class MediationSession(models.Model):
    """A mediation session (e体+ 多维调处): parties and mediators of several organizations."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="sessions")
    held_at = models.DateTimeField(_("时间"))
    place = models.CharField(_("地点"), max_length=120)
    attendees = models.ManyToManyField(Participant, verbose_name=_("参加人"), related_name="+")
    summary = models.TextField(_("调解情况"), blank=True)
    agreed = models.BooleanField(_("达成一致"), default=False)
    created_by = models.ForeignKey(Person, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("调解会")
        verbose_name_plural = _("调解会")
        ordering = ["held_at", "id"]

    def __str__(self) -> str:
        return f"{self.place} {self.held_at:%Y-%m-%d}"


class Agreement(models.Model):
    """A mediation agreement (调解协议书) as generated: the .docx and .pdf bytes and their
    SHA-256, also written to the hash-chained audit log, so a later change is detectable."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="agreements")
    version = models.PositiveIntegerField(_("版本"), default=1)
    facts = models.TextField(_("纠纷事实"))
    terms = models.JSONField(_("协议条款"))
    performance = models.TextField(_("履行方式与期限"))
    mediation_body = models.CharField(_("调解组织"), max_length=120)
    signed_on = models.DateField(_("签订日期"))
    docx = models.BinaryField()
    pdf = models.BinaryField()
    docx_sha256 = models.CharField(max_length=64)
    pdf_sha256 = models.CharField(max_length=64)
    created_by = models.ForeignKey(Person, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("生成时间"))

    class Meta:
        verbose_name = _("调解协议书")
        verbose_name_plural = _("调解协议书")
        ordering = ["case", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["case", "version"], name="disputes_agreement_version")
        ]

    def __str__(self) -> str:
        return f"{self.case_id} v{self.version}"


class StageLimit(models.Model):
    """How many days a case may stay in a stage before it is overdue (configurable)."""

    stage = models.CharField(_("阶段"), max_length=16, choices=Stage.choices, unique=True)
    days = models.PositiveIntegerField(_("期限（天）"))

    class Meta:
        verbose_name = _("阶段期限")
        verbose_name_plural = _("阶段期限")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.get_stage_display()}: {self.days}"


class RiskAssessment(models.Model):
    """A risk score of a case at a time, written when the score changes (for "rising risk")."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assessments")
    at = models.DateTimeField(db_index=True)
    score = models.PositiveIntegerField()
    level = models.CharField(max_length=16, choices=Risk.choices)
    reasons = models.JSONField(default=list)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.score} {self.level}"

"""Incidents (警情): intake, assignments of units, the timeline, shares, video-patrol tasks."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jingwu.areas.models import Area
from jingwu.orgs.models import Organization, Person
from jingwu.units.models import Camera, Unit


class IncidentType(models.TextChoices):
    """The configured incident types; codes match the dispatch engine's tier rules."""

    DISPUTE = "dispute", _("纠纷")
    THEFT = "theft", _("盗窃")
    ROBBERY = "robbery", _("抢劫")
    FIGHT = "fight", _("打架斗殴")
    DRUNK = "drunk", _("醉酒滋事")
    LOST_PERSON = "lost_person", _("走失")
    TRAFFIC = "traffic", _("交通事故")
    FIRE = "fire", _("火情")
    NOISE = "noise", _("噪音扰民")
    ECO_DAMAGE = "eco_damage", _("生态破坏")
    # Eco types: routed to both chiefs of the eco zone they happen in (jingwu.eco).
    ILLEGAL_LOGGING = "illegal_logging", _("盗伐林木")
    POACHING = "poaching", _("非法狩猎")
    ILLEGAL_MINING = "illegal_mining", _("非法采砂采石")
    POLLUTION = "pollution", _("污染环境")
    LAND_OCCUPATION = "land_occupation", _("非法占用林地")
    HELP = "help", _("求助")
    OTHER = "other", _("其他")


class Priority(models.TextChoices):
    P1 = "P1", _("P1 紧急")
    P2 = "P2", _("P2 较急")
    P3 = "P3", _("P3 一般")
    P4 = "P4", _("P4 非紧急")


class Source(models.TextChoices):
    CALL_110 = "110", _("110 报警")
    WALK_IN = "walk_in", _("群众来访")
    VIDEO_PATROL = "video_patrol", _("视频巡查")
    PARTNER = "partner", _("协作力量")


class Status(models.TextChoices):
    RECEIVED = "received", _("待派警")
    DISPATCHED = "dispatched", _("已派警")
    EN_ROUTE = "en_route", _("出警途中")
    ON_SCENE = "on_scene", _("到达现场")
    RESOLVED = "resolved", _("处置完毕")
    CLOSED = "closed", _("已结案")
    CANCELLED = "cancelled", _("已撤销")


OPEN_STATUSES = frozenset(
    {Status.RECEIVED, Status.DISPATCHED, Status.EN_ROUTE, Status.ON_SCENE, Status.RESOLVED}
)
#: Statuses in which units are still working the incident.
ACTIVE_STATUSES = frozenset({Status.DISPATCHED, Status.EN_ROUTE, Status.ON_SCENE})


class Disposition(models.TextChoices):
    HANDLED = "handled", _("现场处置")
    MEDIATED = "mediated", _("调解处理")
    CASE_OPENED = "case_opened", _("受案侦查")
    REFERRED = "referred", _("移交其他部门")
    HELPED = "helped", _("提供帮助")
    UNFOUNDED = "unfounded", _("无效警情")
    DUPLICATE = "duplicate", _("重复警情")
    OTHER = "other", _("其他")


class Incident(models.Model):
    """One call for police service, queued at the duty desk of the workstation it falls in.

    ``caller_name`` and ``caller_phone`` are personal data: masked for partners, every read
    audited. ``idempotency_key`` is unique per creating user, so a retried call returns the
    incident it created the first time (the database settles it, not a read-before-write).
    ``target_s`` is the response target that applied when the call came in.
    """

    type = models.CharField(_("警情类型"), max_length=16, choices=IncidentType.choices)
    priority = models.CharField(_("优先级"), max_length=2, choices=Priority.choices)
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices)
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.RECEIVED
    )
    caller_name = models.CharField(_("报警人姓名"), max_length=64, blank=True)
    caller_phone = models.CharField(_("报警人电话"), max_length=32, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    description = models.TextField(_("警情描述"), blank=True)
    lat = models.FloatField(_("纬度"))
    lon = models.FloatField(_("经度"))
    station = models.ForeignKey(
        Area, verbose_name=_("派出所辖区"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    workstation = models.ForeignKey(
        Area, verbose_name=_("警务站防区"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    police_room = models.ForeignKey(
        Area, verbose_name=_("警务室责任区"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    grid = models.ForeignKey(
        Area, verbose_name=_("网格"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    organization = models.ForeignKey(
        Organization, verbose_name=_("受理单位"), on_delete=models.PROTECT, related_name="+",
        help_text=_("警情排入其值班台的警务站（无警务站时为派出所）。"),
    )  # fmt: skip
    room_organization = models.ForeignKey(
        Organization, verbose_name=_("责任警务室"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    received_at = models.DateTimeField(_("接警时间"), db_index=True)
    dispatched_at = models.DateTimeField(_("派警时间"), null=True, blank=True)
    en_route_at = models.DateTimeField(_("出发时间"), null=True, blank=True)
    on_scene_at = models.DateTimeField(_("到场时间"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("处置完毕时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    disposition = models.CharField(
        _("处置结果"), max_length=16, choices=Disposition.choices, blank=True
    )
    disposition_note = models.CharField(_("处置说明"), max_length=500, blank=True)
    target_s = models.PositiveIntegerField(_("到场时限（秒）"))
    last_seen_lat = models.FloatField(_("最后出现纬度"), null=True, blank=True)
    last_seen_lon = models.FloatField(_("最后出现经度"), null=True, blank=True)
    last_seen_at = models.DateTimeField(_("最后出现时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("录入账号"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip
    idempotency_key = models.CharField(_("幂等键"), max_length=128, blank=True, default="")
    request_fingerprint = models.CharField(max_length=64, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("警情")
        verbose_name_plural = _("警情")
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "status"], name="incident_desk_status"),
            models.Index(fields=["status", "received_at"], name="incident_status_time"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["created_by", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="incident_idempotency_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.get_type_display()}"

    @property
    def number(self) -> str:
        """The incident number read out on the radio: JQ + local call date + id."""
        from django.utils import timezone

        return f"JQ{timezone.localtime(self.received_at):%Y%m%d}-{self.pk or 0:05d}"


class AssignmentStatus(models.TextChoices):
    ACTIVE = "active", _("执行中")
    CLEARED = "cleared", _("已完成")
    RELEASED = "released", _("已撤回")


class Assignment(models.Model):
    """A unit sent to an incident. At most one active assignment per unit (partial unique
    index), a second guard behind the conditional update that claims the unit.
    """

    incident = models.ForeignKey(
        Incident, verbose_name=_("警情"), on_delete=models.CASCADE, related_name="assignments"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("巡防力量"), on_delete=models.PROTECT, related_name="assignments"
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=AssignmentStatus.choices, default=AssignmentStatus.ACTIVE
    )
    assigned_at = models.DateTimeField(_("派出时间"))
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("派警人"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip
    eta_seconds = models.FloatField(_("预计到达（秒）"), null=True, blank=True)
    en_route_at = models.DateTimeField(_("出发时间"), null=True, blank=True)
    on_scene_at = models.DateTimeField(_("到场时间"), null=True, blank=True)
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    end_reason = models.CharField(_("结束原因"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("派警")
        verbose_name_plural = _("派警")
        ordering = ["assigned_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit"],
                condition=models.Q(status="active"),
                name="assignment_one_active_per_unit",
            )
        ]

    def __str__(self) -> str:
        return f"{self.incident_id} ← {self.unit}"


class EntryKind(models.TextChoices):
    CREATED = "created", _("接警")
    STATUS = "status", _("状态变更")
    ASSIGNED = "assigned", _("派警")
    RELEASED = "released", _("撤回")
    ARRIVED = "arrived", _("到场")
    NOTE = "note", _("备注")
    SHARED = "shared", _("共享")
    VIDEO_TASK = "video_task", _("视频巡查任务")
    VIDEO_RESULT = "video_result", _("视频巡查结果")
    LAST_SEEN = "last_seen", _("最后出现位置")


class TimelineEntry(models.Model):
    """One line of an incident's timeline: status changes, assignments, notes, arrivals.

    ``text`` is a sentence for people; ``data`` holds ids and statuses for programs. Neither
    carries the caller's personal data.
    """

    incident = models.ForeignKey(
        Incident, verbose_name=_("警情"), on_delete=models.CASCADE, related_name="timeline"
    )
    at = models.DateTimeField(_("时间"))
    kind = models.CharField(_("类别"), max_length=16, choices=EntryKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip
    actor_name = models.CharField(_("操作人姓名"), max_length=64, blank=True)
    text = models.TextField(_("内容"))
    data = models.JSONField(_("数据"), default=dict, blank=True)

    class Meta:
        verbose_name = _("时间线")
        verbose_name_plural = _("时间线")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["incident", "at"], name="timeline_incident_at")]

    def __str__(self) -> str:
        return f"{self.incident_id} {self.at:%H:%M:%S} {self.text[:40]}"


class IncidentShare(models.Model):
    """An incident shared with a partner organization (joint command, partner forces)."""

    incident = models.ForeignKey(
        Incident, verbose_name=_("警情"), on_delete=models.CASCADE, related_name="shares"
    )
    organization = models.ForeignKey(
        Organization, verbose_name=_("共享单位"), on_delete=models.CASCADE, related_name="+"
    )
    shared_at = models.DateTimeField(_("共享时间"))
    shared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("共享人"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip

    class Meta:
        verbose_name = _("警情共享")
        verbose_name_plural = _("警情共享")
        constraints = [
            models.UniqueConstraint(fields=["incident", "organization"], name="share_unique")
        ]

    def __str__(self) -> str:
        return f"{self.incident_id} → {self.organization}"


class VideoTaskStatus(models.TextChoices):
    OPEN = "open", _("进行中")
    DONE = "done", _("已完成")


class VideoPatrolTask(models.Model):
    """A video-patrol task (视频巡查): a named person reviews cameras for an incident."""

    incident = models.ForeignKey(
        Incident, verbose_name=_("警情"), on_delete=models.CASCADE, related_name="video_tasks"
    )
    assignee = models.ForeignKey(
        Person, verbose_name=_("巡查人"), on_delete=models.PROTECT, related_name="+"
    )
    cameras = models.ManyToManyField(Camera, verbose_name=_("视频点位"), blank=True)
    instructions = models.CharField(_("任务说明"), max_length=500, blank=True)
    status = models.CharField(
        _("状态"), max_length=8, choices=VideoTaskStatus.choices, default=VideoTaskStatus.OPEN
    )
    result = models.TextField(_("巡查结果"), blank=True)
    found = models.BooleanField(_("发现目标"), null=True, blank=True)
    created_at = models.DateTimeField(_("下达时间"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("下达人"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("视频巡查任务")
        verbose_name_plural = _("视频巡查任务")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.incident_id} · {self.assignee}"

"""Joint command (路地联勤 四联): the joint area and its sharing rules, the joint duty roster,
shift handovers, joint patrols with check-ins, and recurring problems.

Joint duty (勤务联勤) is ``Post``/``RosterShift``/``RosterAssignment``; incident linkage
(警情联动) is ``SharingRule``; joint patrol (治安联防) is ``PatrolPlan`` and its runs and
check-ins; joint problem-solving (问题联治) is ``Problem``. A handover (交接班) is generated
from the live data of a duty desk or a post and carried forward shift by shift.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jingwu.incidents.models import Incident
from jingwu.orgs.models import Organization, Person


class JointArea(models.Model):
    """A joint-command area: the lead police unit and the partner forces working in it."""

    code = models.CharField(_("代码"), max_length=64, unique=True)
    name = models.CharField(_("名称"), max_length=120)
    geometry = models.JSONField(_("范围（GeoJSON）"))
    lead = models.ForeignKey(
        Organization,
        verbose_name=_("牵头单位"),
        on_delete=models.PROTECT,
        related_name="led_joint_areas",
    )
    partners = models.ManyToManyField(
        Organization, verbose_name=_("联勤单位"), related_name="joint_areas", blank=True
    )

    class Meta:
        verbose_name = _("联勤区域")
        verbose_name_plural = _("联勤区域")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class SharingRule(models.Model):
    """Incidents inside ``geometry`` of the listed types and priorities go to ``partners``.

    Empty ``incident_types`` or ``priorities`` mean "any". Rules are applied when an incident
    is created, by whichever organization takes it in (a partner's own intake included).
    """

    name = models.CharField(_("名称"), max_length=120)
    owner = models.ForeignKey(
        Organization,
        verbose_name=_("管理单位"),
        on_delete=models.PROTECT,
        related_name="owned_sharing_rules",
    )
    joint_area = models.ForeignKey(
        JointArea,
        verbose_name=_("联勤区域"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sharing_rules",
    )
    geometry = models.JSONField(_("范围（GeoJSON）"))
    incident_types = models.JSONField(_("警情类别"), default=list, blank=True)
    priorities = models.JSONField(_("警情等级"), default=list, blank=True)
    partners = models.ManyToManyField(
        Organization, verbose_name=_("共享单位"), related_name="sharing_rules"
    )
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("警情共享规则")
        verbose_name_plural = _("警情共享规则")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class PostKind(models.TextChoices):
    PLACE = "place", _("定点岗")
    BEAT = "beat", _("巡区")


class Post(models.Model):
    """A duty post of a joint area: a fixed place or a beat, staffed shift by shift."""

    joint_area = models.ForeignKey(
        JointArea, verbose_name=_("联勤区域"), on_delete=models.CASCADE, related_name="posts"
    )
    name = models.CharField(_("名称"), max_length=120)
    kind = models.CharField(_("类型"), max_length=8, choices=PostKind.choices)
    lat = models.FloatField(_("纬度"))
    lon = models.FloatField(_("经度"))
    geometry = models.JSONField(_("巡区范围（GeoJSON）"), null=True, blank=True)
    min_staff = models.PositiveSmallIntegerField(_("最少在岗人数"), default=1)
    around_the_clock = models.BooleanField(_("24 小时在岗"), default=False)

    class Meta:
        verbose_name = _("岗位")
        verbose_name_plural = _("岗位")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["joint_area", "name"], name="jointcmd_post_name")
        ]

    def __str__(self) -> str:
        return self.name


class RosterShift(models.Model):
    """One shift on one post: a time span and how many people it needs."""

    post = models.ForeignKey(
        Post, verbose_name=_("岗位"), on_delete=models.CASCADE, related_name="shifts"
    )
    starts_at = models.DateTimeField(_("开始"), db_index=True)
    ends_at = models.DateTimeField(_("结束"))
    min_staff = models.PositiveSmallIntegerField(_("最少在岗人数"), default=1)

    class Meta:
        verbose_name = _("班次")
        verbose_name_plural = _("班次")
        ordering = ["starts_at", "post_id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="jointcmd_shift_span"
            )
        ]

    def __str__(self) -> str:
        return f"{self.post} {self.starts_at:%Y-%m-%d %H:%M}"


class RosterAssignment(models.Model):
    """A person of one force on one shift. A person is never on two posts at once."""

    shift = models.ForeignKey(
        RosterShift, verbose_name=_("班次"), on_delete=models.CASCADE, related_name="assignments"
    )
    person = models.ForeignKey(
        Person, verbose_name=_("人员"), on_delete=models.PROTECT, related_name="roster_duties"
    )
    organization = models.ForeignKey(
        Organization, verbose_name=_("所属单位"), on_delete=models.PROTECT, related_name="+"
    )
    # Copied from the shift so "who overlaps whom" is one indexed query.
    starts_at = models.DateTimeField(_("开始"))
    ends_at = models.DateTimeField(_("结束"))

    class Meta:
        verbose_name = _("排班")
        verbose_name_plural = _("排班")
        indexes = [models.Index(fields=["person", "starts_at"])]
        constraints = [
            models.UniqueConstraint(fields=["shift", "person"], name="jointcmd_assignment_once")
        ]

    def __str__(self) -> str:
        return f"{self.person} @ {self.shift}"


class Equipment(models.Model):
    """An item of a duty desk's equipment register, counted at every handover."""

    class Status(models.TextChoices):
        READY = "ready", _("完好")
        IN_USE = "in_use", _("使用中")
        FAULTY = "faulty", _("故障")

    organization = models.ForeignKey(
        Organization, verbose_name=_("单位"), on_delete=models.CASCADE, related_name="equipment"
    )
    name = models.CharField(_("名称"), max_length=120)
    quantity = models.PositiveIntegerField(_("数量"), default=1)
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default="ready")
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("装备")
        verbose_name_plural = _("装备")
        ordering = ["organization_id", "id"]

    def __str__(self) -> str:
        return f"{self.name} ×{self.quantity}"


class Handover(models.Model):
    """A shift handover (交接班) of a duty desk (an organization) or a post.

    Generated from the live data and signed by the outgoing officer in one step; the incoming
    officer acknowledges it once. ``digest`` is the SHA-256 of the signed content, so a later
    edit of the items is detectable.
    """

    organization = models.ForeignKey(
        Organization, verbose_name=_("值班台"), on_delete=models.PROTECT, related_name="handovers"
    )
    post = models.ForeignKey(
        Post,
        verbose_name=_("岗位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="handovers",
    )
    previous = models.ForeignKey(
        "self",
        verbose_name=_("上一班交接"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    shift_started_at = models.DateTimeField(_("本班开始"), null=True, blank=True)
    signed_at = models.DateTimeField(_("交班时间"), db_index=True)
    outgoing = models.ForeignKey(
        Person, verbose_name=_("交班人"), on_delete=models.PROTECT, related_name="+"
    )
    incoming = models.ForeignKey(
        Person,
        verbose_name=_("接班人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    acknowledged_at = models.DateTimeField(_("接班确认时间"), null=True, blank=True)
    notes = models.TextField(_("交班说明"), blank=True)
    counts = models.JSONField(_("统计"), default=dict)
    digest = models.CharField(_("签名摘要"), max_length=64)

    class Meta:
        verbose_name = _("交接班记录")
        verbose_name_plural = _("交接班记录")
        ordering = ["-signed_at", "-id"]
        indexes = [models.Index(fields=["organization", "signed_at"])]

    def __str__(self) -> str:
        return f"{self.organization} {self.signed_at:%Y-%m-%d %H:%M}"


class ItemKind(models.TextChoices):
    INCIDENT = "incident", _("警情")
    DISPUTE = "dispute", _("矛盾纠纷")
    UNIT = "unit", _("巡防力量")
    EQUIPMENT = "equipment", _("装备")
    PATROL = "patrol", _("巡逻")
    JOINT_TASK = "joint_task", _("联勤任务")
    NOTE = "note", _("交办事项")


class HandoverItem(models.Model):
    """One line of a handover. ``carried_from`` links an open item to the previous shift's line."""

    handover = models.ForeignKey(
        Handover, verbose_name=_("交接班记录"), on_delete=models.CASCADE, related_name="items"
    )
    kind = models.CharField(_("类别"), max_length=12, choices=ItemKind.choices)
    ref = models.CharField(_("对象编号"), max_length=64, blank=True)
    label = models.CharField(_("内容"), max_length=200)
    status = models.CharField(_("状态"), max_length=64, blank=True)
    is_open = models.BooleanField(_("未办结"), default=True)
    carried_from = models.ForeignKey(
        "self",
        verbose_name=_("由上一班移交"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    position = models.PositiveIntegerField(_("序号"), default=0)

    class Meta:
        verbose_name = _("交接事项")
        verbose_name_plural = _("交接事项")
        ordering = ["handover_id", "position"]
        indexes = [models.Index(fields=["handover", "kind", "ref"])]

    def __str__(self) -> str:
        return self.label


class PlanKind(models.TextChoices):
    JOINT = "joint", _("联防巡逻")
    ECO = "eco", _("生态巡护")


class TravelMode(models.TextChoices):
    FOOT = "foot", _("步行")
    EBIKE = "ebike", _("电动自行车")
    CAR = "car", _("汽车")


class PatrolPlan(models.Model):
    """A patrol plan: checkpoints in order, the route through them, a weekly schedule, a team.

    ``route`` is a GeoJSON LineString built from the road engine (legs with no road are
    straight and listed in ``route_legs``). ``weekdays`` are 0 = Monday … 6 = Sunday; each
    scheduled day has one run starting at ``start_time`` (Asia/Shanghai) for ``duration_min``.
    """

    name = models.CharField(_("名称"), max_length=120)
    kind = models.CharField(_("类型"), max_length=8, choices=PlanKind.choices, default="joint")
    owner = models.ForeignKey(
        Organization, verbose_name=_("牵头单位"), on_delete=models.PROTECT, related_name="+"
    )
    partners = models.ManyToManyField(
        Organization, verbose_name=_("参与单位"), related_name="+", blank=True
    )
    joint_area = models.ForeignKey(
        JointArea,
        verbose_name=_("联勤区域"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="patrol_plans",
    )
    beat = models.ForeignKey(
        Post,
        verbose_name=_("巡区"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="patrol_plans",
    )
    mode = models.CharField(_("方式"), max_length=8, choices=TravelMode.choices, default="foot")
    route = models.JSONField(_("路线（GeoJSON）"), null=True, blank=True)
    route_legs = models.JSONField(_("路段来源"), default=list, blank=True)
    length_m = models.FloatField(_("里程（米）"), default=0)
    tolerance_m = models.PositiveIntegerField(_("偏离容差（米）"), default=80)
    weekdays = models.JSONField(_("巡逻日"), default=list)
    start_time = models.TimeField(_("开始时间"))
    duration_min = models.PositiveIntegerField(_("时长（分钟）"), default=120)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"))

    class Meta:
        verbose_name = _("巡逻计划")
        verbose_name_plural = _("巡逻计划")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class PatrolMember(models.Model):
    """A member of a plan's mixed team and the force they come from."""

    plan = models.ForeignKey(
        PatrolPlan, verbose_name=_("巡逻计划"), on_delete=models.CASCADE, related_name="members"
    )
    person = models.ForeignKey(Person, verbose_name=_("人员"), on_delete=models.PROTECT)
    organization = models.ForeignKey(
        Organization, verbose_name=_("所属单位"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("巡逻队员")
        verbose_name_plural = _("巡逻队员")
        constraints = [
            models.UniqueConstraint(fields=["plan", "person"], name="jointcmd_patrol_member_once")
        ]

    def __str__(self) -> str:
        return f"{self.person} @ {self.plan}"


class Checkpoint(models.Model):
    """A checkpoint of a plan: a geofence (centre and radius) and a position in the order."""

    plan = models.ForeignKey(
        PatrolPlan, verbose_name=_("巡逻计划"), on_delete=models.CASCADE, related_name="checkpoints"
    )
    seq = models.PositiveSmallIntegerField(_("顺序"))
    name = models.CharField(_("名称"), max_length=120)
    lat = models.FloatField(_("纬度"))
    lon = models.FloatField(_("经度"))
    radius_m = models.PositiveIntegerField(_("签到半径（米）"), default=50)

    class Meta:
        verbose_name = _("巡逻点")
        verbose_name_plural = _("巡逻点")
        ordering = ["plan_id", "seq"]
        constraints = [models.UniqueConstraint(fields=["plan", "seq"], name="jointcmd_cp_seq")]

    def __str__(self) -> str:
        return self.name


class PatrolRun(models.Model):
    """One run of a plan: the scheduled occurrence on a day, or an unscheduled patrol."""

    plan = models.ForeignKey(
        PatrolPlan, verbose_name=_("巡逻计划"), on_delete=models.CASCADE, related_name="runs"
    )
    starts_at = models.DateTimeField(_("开始"))
    ends_at = models.DateTimeField(_("结束"))
    scheduled = models.BooleanField(_("按计划"), default=True)

    class Meta:
        verbose_name = _("巡逻记录")
        verbose_name_plural = _("巡逻记录")
        ordering = ["-starts_at"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "starts_at"], name="jointcmd_run_once")
        ]

    def __str__(self) -> str:
        return f"{self.plan} {self.starts_at:%Y-%m-%d %H:%M}"


class CheckInMethod(models.TextChoices):
    GPS = "gps", _("定位签到")
    QR = "qr", _("扫码签到")


class CheckIn(models.Model):
    """A checkpoint reached during a run: by GPS inside its geofence, or by its QR code."""

    run = models.ForeignKey(
        PatrolRun, verbose_name=_("巡逻记录"), on_delete=models.CASCADE, related_name="checkins"
    )
    checkpoint = models.ForeignKey(
        Checkpoint, verbose_name=_("巡逻点"), on_delete=models.CASCADE, related_name="checkins"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("签到人"), on_delete=models.PROTECT
    )
    at = models.DateTimeField(_("时间"))
    method = models.CharField(_("方式"), max_length=4, choices=CheckInMethod.choices)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    lon = models.FloatField(_("经度"), null=True, blank=True)
    distance_m = models.FloatField(_("距巡逻点（米）"), null=True, blank=True)

    class Meta:
        verbose_name = _("签到")
        verbose_name_plural = _("签到")
        ordering = ["at"]
        constraints = [
            models.UniqueConstraint(fields=["run", "checkpoint"], name="jointcmd_checkin_once")
        ]

    def __str__(self) -> str:
        return f"{self.checkpoint} {self.at:%Y-%m-%d %H:%M}"


class TrackPoint(models.Model):
    """A reported position during a run, for route-deviation checks."""

    run = models.ForeignKey(
        PatrolRun, verbose_name=_("巡逻记录"), on_delete=models.CASCADE, related_name="track"
    )
    at = models.DateTimeField(_("时间"))
    lat = models.FloatField(_("纬度"))
    lon = models.FloatField(_("经度"))

    class Meta:
        verbose_name = _("轨迹点")
        verbose_name_plural = _("轨迹点")
        indexes = [models.Index(fields=["run", "at"])]

    def __str__(self) -> str:
        return f"{self.run_id} {self.at:%H:%M:%S}"


class ProblemStage(models.TextChoices):
    """SARA: scanning → analysis → response → assessment, then closed."""

    SCANNING = "scanning", _("扫描")
    ANALYSIS = "analysis", _("分析")
    RESPONSE = "response", _("应对")
    ASSESSMENT = "assessment", _("评估")
    CLOSED = "closed", _("已结")


#: The lifecycle of a problem; it may go back from assessment to response.
PROBLEM_TRANSITIONS: dict[str, frozenset[str]] = {
    ProblemStage.SCANNING: frozenset({ProblemStage.ANALYSIS, ProblemStage.CLOSED}),
    ProblemStage.ANALYSIS: frozenset({ProblemStage.RESPONSE, ProblemStage.CLOSED}),
    ProblemStage.RESPONSE: frozenset({ProblemStage.ASSESSMENT}),
    ProblemStage.ASSESSMENT: frozenset({ProblemStage.RESPONSE, ProblemStage.CLOSED}),
    ProblemStage.CLOSED: frozenset(),
}


class Problem(models.Model):
    """A recurring problem (问题联治): incidents of one type at one place, owned by one
    organization with co-owners, worked through SARA and assessed before against after."""

    title = models.CharField(_("名称"), max_length=200)
    kind = models.CharField(_("警情类型"), max_length=32)
    lat = models.FloatField(_("中心纬度"))
    lon = models.FloatField(_("中心经度"))
    radius_m = models.PositiveIntegerField(_("范围（米）"), default=150)
    stage = models.CharField(
        _("阶段"), max_length=12, choices=ProblemStage.choices, default=ProblemStage.SCANNING
    )
    owner = models.ForeignKey(
        Organization, verbose_name=_("牵头单位"), on_delete=models.PROTECT, related_name="+"
    )
    co_owners = models.ManyToManyField(
        Organization, verbose_name=_("协同单位"), related_name="+", blank=True
    )
    incidents = models.ManyToManyField(
        Incident, verbose_name=_("相关警情"), related_name="problems", blank=True
    )
    analysis = models.TextField(_("原因分析"), blank=True)
    response_started_at = models.DateTimeField(_("开始应对"), null=True, blank=True)
    created_at = models.DateTimeField(_("发现时间"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("联治问题")
        verbose_name_plural = _("联治问题")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class ProblemAction(models.Model):
    """A response action of a problem: what, by which organization, by when, and when done."""

    problem = models.ForeignKey(
        Problem, verbose_name=_("问题"), on_delete=models.CASCADE, related_name="actions"
    )
    text = models.CharField(_("措施"), max_length=300)
    owner = models.ForeignKey(
        Organization, verbose_name=_("责任单位"), on_delete=models.PROTECT, related_name="+"
    )
    due_date = models.DateField(_("完成期限"))
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("登记时间"))

    class Meta:
        verbose_name = _("应对措施")
        verbose_name_plural = _("应对措施")
        ordering = ["due_date", "id"]

    def __str__(self) -> str:
        return self.text


class TaskStatus(models.TextChoices):
    GIVEN = "given", _("待接受")
    ACCEPTED = "accepted", _("已接受")
    DECLINED = "declined", _("已拒绝")
    DONE = "done", _("已完成")


class IncidentTask(models.Model):
    """A task the incident's desk gives a partner force on a shared incident (联勤任务).

    given → accepted → done, or given → declined (with a reason). Each step is a conditional
    update on the status it starts from, so two people answering at once cannot both succeed.
    """

    incident = models.ForeignKey(
        Incident, verbose_name=_("警情"), on_delete=models.CASCADE, related_name="joint_tasks"
    )
    from_org = models.ForeignKey(
        Organization, verbose_name=_("下达单位"), on_delete=models.PROTECT, related_name="+"
    )
    to_org = models.ForeignKey(
        Organization,
        verbose_name=_("承办单位"),
        on_delete=models.PROTECT,
        related_name="joint_tasks",
    )
    text = models.CharField(_("任务"), max_length=200)
    due_at = models.DateTimeField(_("完成期限"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=TaskStatus.choices, default=TaskStatus.GIVEN
    )
    answer = models.CharField(_("答复"), max_length=500, blank=True)
    given_at = models.DateTimeField(_("下达时间"))
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("下达人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("答复人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("联勤任务")
        verbose_name_plural = _("联勤任务")
        ordering = ["-given_at", "-id"]
        indexes = [models.Index(fields=["to_org", "status"], name="jc_task_to_status")]

    def __str__(self) -> str:
        return self.text

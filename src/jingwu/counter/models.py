"""Citizen services at the workstation: catalogue, service points, windows, slots, bookings,
tickets and service cases with their first handler and timeline.

Personal data (applicant name, ID number, phone) lives only in ``Appointment`` and
``ServiceCase``; it is masked for roles that may not see it and every read is audited.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from jingwu.orgs.models import Organization, Person


class ServiceType(models.Model):
    """One service of the catalogue (身份证首次申领, 居住证, 出入境签注…).

    ``time_limit_working_days`` is the legal (or promised) time to completion in working days
    after the day of acceptance; 0 means done at the window the same day.
    """

    code = models.SlugField(_("代码"), max_length=48, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    documents = models.JSONField(_("所需材料"), default=list, blank=True)
    handling_minutes = models.PositiveSmallIntegerField(_("窗口办理时长（分钟）"), default=10)
    time_limit_working_days = models.PositiveSmallIntegerField(_("法定时限（工作日）"), default=0)
    legal_basis = models.CharField(_("时限依据"), max_length=200, blank=True)
    ticket_prefix = models.CharField(_("号码字头"), max_length=1, default="A")
    bookable = models.BooleanField(_("可预约"), default=True)
    is_active = models.BooleanField(_("启用"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("服务事项")
        verbose_name_plural = _("服务事项")
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.name


class PointKind(models.TextChoices):
    HALL = "hall", _("便民服务区")
    TERMINAL = "terminal", _("自助终端")


class CallOrder(models.TextChoices):
    APPOINTMENTS_FIRST = "appointments_first", _("预约号在其时段内优先，其余按到达顺序")
    ARRIVAL = "arrival", _("全部按到达顺序")


class ServicePoint(models.Model):
    """A place where citizens are served: a workstation's service hall or a self-service terminal.

    A hall has windows, opening hours and bookable slots; a terminal lists the services a
    citizen can do there without a clerk. Both count for the 15-minute service circle.
    """

    kind = models.CharField(_("类型"), max_length=16, choices=PointKind.choices)
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("所属单位"),
        on_delete=models.PROTECT,
        related_name="service_points",
    )
    name = models.CharField(_("名称"), max_length=120)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    lon = models.FloatField(_("经度"), null=True, blank=True)
    services = models.ManyToManyField(
        ServiceType, verbose_name=_("可办事项"), related_name="service_points", blank=True
    )
    case_prefix = models.CharField(_("业务编号字头"), max_length=4, default="JW")
    walk_in_share = models.FloatField(_("现场号预留比例"), default=0.5)
    slot_minutes = models.PositiveSmallIntegerField(_("预约时段长度（分钟）"), default=30)
    booking_days_ahead = models.PositiveSmallIntegerField(_("可提前预约天数"), default=14)
    call_order = models.CharField(
        _("叫号规则"),
        max_length=24,
        choices=CallOrder.choices,
        default=CallOrder.APPOINTMENTS_FIRST,
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("服务点")
        verbose_name_plural = _("服务点")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization"],
                condition=Q(kind="hall"),
                name="counter_one_hall_per_organization",
            ),
            models.CheckConstraint(
                condition=Q(walk_in_share__gte=0) & Q(walk_in_share__lte=1),
                name="counter_walk_in_share_0_1",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Staffing(models.TextChoices):
    OFFICER = "officer", _("专职民警")
    STAFF = "staff", _("工作人员")


class WindowStatus(models.TextChoices):
    OPEN = "open", _("开放")
    PAUSED = "paused", _("暂停")
    CLOSED = "closed", _("关闭")


class Window(models.Model):
    """A service window of a hall: the services it does and whether it takes calls now."""

    service_point = models.ForeignKey(
        ServicePoint, verbose_name=_("服务点"), on_delete=models.CASCADE, related_name="windows"
    )
    number = models.PositiveSmallIntegerField(_("窗口号"))
    name = models.CharField(_("名称"), max_length=64)
    staffing = models.CharField(
        _("配备"), max_length=16, choices=Staffing.choices, default=Staffing.STAFF
    )
    services = models.ManyToManyField(
        ServiceType, verbose_name=_("办理事项"), related_name="windows", blank=True
    )
    status = models.CharField(
        _("状态"), max_length=8, choices=WindowStatus.choices, default=WindowStatus.CLOSED
    )

    class Meta:
        verbose_name = _("窗口")
        verbose_name_plural = _("窗口")
        ordering = ["service_point_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["service_point", "number"], name="counter_window_no")
        ]

    def __str__(self) -> str:
        return self.name


class DayKind(models.TextChoices):
    WORKDAY = "workday", _("工作日（含调休上班日）")
    WEEKEND = "weekend", _("周末休息日")
    HOLIDAY = "holiday", _("法定节假日")


class OpeningHours(models.Model):
    """When a window is open on one kind of day, with an optional break (午休)."""

    window = models.ForeignKey(
        Window, verbose_name=_("窗口"), on_delete=models.CASCADE, related_name="hours"
    )
    day_kind = models.CharField(_("日期类型"), max_length=8, choices=DayKind.choices)
    opens = models.TimeField(_("开始"))
    closes = models.TimeField(_("结束"))
    break_start = models.TimeField(_("午休开始"), null=True, blank=True)
    break_end = models.TimeField(_("午休结束"), null=True, blank=True)

    class Meta:
        verbose_name = _("办公时间")
        verbose_name_plural = _("办公时间")
        constraints = [
            models.UniqueConstraint(fields=["window", "day_kind"], name="counter_hours_per_kind"),
            models.CheckConstraint(condition=Q(opens__lt=F("closes")), name="counter_hours_order"),
        ]

    def __str__(self) -> str:
        return f"{self.window} {self.get_day_kind_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class Shift(models.Model):
    """A clerk on a window on one day (排班)."""

    window = models.ForeignKey(
        Window, verbose_name=_("窗口"), on_delete=models.CASCADE, related_name="shifts"
    )
    date = models.DateField(_("日期"))
    person = models.ForeignKey(
        Person, verbose_name=_("人员"), on_delete=models.CASCADE, related_name="counter_shifts"
    )

    class Meta:
        verbose_name = _("窗口排班")
        verbose_name_plural = _("窗口排班")
        ordering = ["date", "window_id"]
        constraints = [
            models.UniqueConstraint(fields=["window", "date", "person"], name="counter_shift_once")
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.window} {self.person}"


class Slot(models.Model):
    """A bookable time slot for one service at one hall.

    ``booked`` only moves by conditional UPDATE in the database and a check constraint keeps it
    at or below ``capacity``, so no interleaving of requests can overbook a slot.
    """

    service_point = models.ForeignKey(
        ServicePoint, verbose_name=_("服务点"), on_delete=models.CASCADE, related_name="slots"
    )
    service = models.ForeignKey(
        ServiceType, verbose_name=_("事项"), on_delete=models.CASCADE, related_name="slots"
    )
    date = models.DateField(_("日期"))
    start = models.DateTimeField(_("开始"))
    end = models.DateTimeField(_("结束"))
    capacity = models.PositiveIntegerField(_("可预约数"))
    booked = models.PositiveIntegerField(_("已预约数"), default=0)

    class Meta:
        verbose_name = _("预约时段")
        verbose_name_plural = _("预约时段")
        ordering = ["start", "service_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["service_point", "service", "start"], name="counter_slot_once"
            ),
            models.CheckConstraint(
                condition=Q(booked__lte=F("capacity")), name="counter_slot_not_overbooked"
            ),
        ]
        indexes = [models.Index(fields=["service_point", "date"], name="counter_slot_day")]

    def __str__(self) -> str:
        return f"{self.service} {self.start:%Y-%m-%d %H:%M}"

    @property
    def remaining(self) -> int:
        return max(self.capacity - self.booked, 0)


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", _("已预约")
    CHECKED_IN = "checked_in", _("已签到")
    CANCELLED = "cancelled", _("已取消")
    NO_SHOW = "no_show", _("爽约")


class Appointment(models.Model):
    """A real-name booking of one slot. ``code`` is the citizen's reference (to cancel, check in).

    The database allows one live booking per ID number per day (cancelled ones do not count).
    """

    code = models.CharField(_("预约码"), max_length=12, unique=True)
    slot = models.ForeignKey(
        Slot, verbose_name=_("时段"), on_delete=models.PROTECT, related_name="appointments"
    )
    service_point = models.ForeignKey(
        ServicePoint, verbose_name=_("服务点"), on_delete=models.PROTECT, related_name="+"
    )
    service = models.ForeignKey(
        ServiceType, verbose_name=_("事项"), on_delete=models.PROTECT, related_name="+"
    )
    date = models.DateField(_("日期"))
    name = models.CharField(_("姓名"), max_length=64)
    id_number = models.CharField(_("身份证号"), max_length=18, db_index=True)
    phone = models.CharField(_("手机号"), max_length=20)
    status = models.CharField(
        _("状态"),
        max_length=12,
        choices=AppointmentStatus.choices,
        default=AppointmentStatus.BOOKED,
    )
    created_at = models.DateTimeField(_("预约时间"))
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("签到时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("预约")
        verbose_name_plural = _("预约")
        ordering = ["slot__start", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["id_number", "date"],
                condition=~Q(status="cancelled"),
                name="counter_one_booking_per_person_per_day",
            )
        ]

    def __str__(self) -> str:
        return self.code


class TicketStatus(models.TextChoices):
    WAITING = "waiting", _("等候中")
    CALLED = "called", _("已叫号")
    DONE = "done", _("已办结")
    SKIPPED = "skipped", _("过号")


class Ticket(models.Model):
    """A queue number of one day at one hall, for one service; from a booking it has priority.

    ``target_window`` is set by a transfer: only that window calls the ticket next.
    """

    service_point = models.ForeignKey(
        ServicePoint, verbose_name=_("服务点"), on_delete=models.PROTECT, related_name="tickets"
    )
    service = models.ForeignKey(
        ServiceType, verbose_name=_("事项"), on_delete=models.PROTECT, related_name="+"
    )
    date = models.DateField(_("日期"))
    number = models.CharField(_("号码"), max_length=8)
    appointment = models.OneToOneField(
        Appointment,
        verbose_name=_("预约"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ticket",
    )
    status = models.CharField(
        _("状态"), max_length=8, choices=TicketStatus.choices, default=TicketStatus.WAITING
    )
    issued_at = models.DateTimeField(_("取号时间"))
    called_at = models.DateTimeField(_("叫号时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    recalls = models.PositiveSmallIntegerField(_("重呼次数"), default=0)
    window = models.ForeignKey(
        Window,
        verbose_name=_("窗口"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    target_window = models.ForeignKey(
        Window,
        verbose_name=_("转至窗口"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    called_by = models.ForeignKey(
        Person,
        verbose_name=_("叫号人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("排队号")
        verbose_name_plural = _("排队号")
        ordering = ["issued_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["service_point", "date", "number"], name="counter_ticket_number"
            ),
            # A window serves one citizen at a time.
            models.UniqueConstraint(
                fields=["window"], condition=Q(status="called"), name="counter_one_call_per_window"
            ),
        ]
        indexes = [
            models.Index(fields=["service_point", "date", "status"], name="counter_ticket_queue"),
            models.Index(fields=["service_point", "issued_at"], name="counter_ticket_issued"),
        ]

    def __str__(self) -> str:
        return self.number


class NumberSequence(models.Model):
    """The last number handed out under one key (tickets per hall, day and letter; case numbers)."""

    key = models.CharField(max_length=64, unique=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("编号序列")
        verbose_name_plural = _("编号序列")

    def __str__(self) -> str:
        return f"{self.key}={self.last}"


class CaseStage(models.TextChoices):
    ACCEPTED = "accepted", _("已受理")
    REVIEWING = "reviewing", _("审核中")
    PRODUCING = "producing", _("制证中")
    READY = "ready", _("已办结待领取")
    COLLECTED = "collected", _("已领取")
    REJECTED = "rejected", _("不予办理")


#: The forward order of stages; a case only ever moves to a later one (or is rejected).
STAGE_ORDER = [
    CaseStage.ACCEPTED,
    CaseStage.REVIEWING,
    CaseStage.PRODUCING,
    CaseStage.READY,
    CaseStage.COLLECTED,
]
OPEN_STAGES = [CaseStage.ACCEPTED, CaseStage.REVIEWING, CaseStage.PRODUCING]


class ServiceCase(models.Model):
    """An application accepted at a window. Its first handler owns it until it is closed.

    ``due_date`` is the last working day allowed by the service's time limit; when the
    holiday calendar did not know the year it was estimated on Monday–Friday
    (``due_estimated``).
    """

    number = models.CharField(_("业务编号"), max_length=24, unique=True)
    service_point = models.ForeignKey(
        ServicePoint, verbose_name=_("服务点"), on_delete=models.PROTECT, related_name="cases"
    )
    service = models.ForeignKey(
        ServiceType, verbose_name=_("事项"), on_delete=models.PROTECT, related_name="cases"
    )
    window = models.ForeignKey(
        Window,
        verbose_name=_("受理窗口"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    ticket = models.OneToOneField(
        Ticket,
        verbose_name=_("排队号"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="case",
    )
    applicant_name = models.CharField(_("申请人"), max_length=64)
    id_number = models.CharField(_("身份证号"), max_length=18)
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    first_handler = models.ForeignKey(
        Person, verbose_name=_("首办责任人"), on_delete=models.PROTECT, related_name="counter_cases"
    )
    stage = models.CharField(
        _("环节"), max_length=12, choices=CaseStage.choices, default=CaseStage.ACCEPTED
    )
    accepted_at = models.DateTimeField(_("受理时间"))
    due_date = models.DateField(_("办结期限"))
    due_estimated = models.BooleanField(_("期限为估算"), default=False)
    ready_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("归档时间"), null=True, blank=True)
    reject_reason = models.CharField(_("不予办理原因"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("办件")
        verbose_name_plural = _("办件")
        ordering = ["-accepted_at", "-id"]
        indexes = [
            models.Index(fields=["service_point", "accepted_at"], name="counter_case_accepted"),
            models.Index(fields=["stage", "due_date"], name="counter_case_due"),
        ]

    def __str__(self) -> str:
        return self.number


class EventKind(models.TextChoices):
    ACCEPTED = "accepted", _("受理")
    STAGE = "stage", _("环节变更")
    REJECTED = "rejected", _("不予办理")
    TRANSFER = "transfer", _("首办责任人变更")


class CaseEvent(models.Model):
    """One line of a case's timeline: acceptance, a stage change, a rejection, a handover."""

    case = models.ForeignKey(
        ServiceCase, verbose_name=_("办件"), on_delete=models.CASCADE, related_name="events"
    )
    at = models.DateTimeField(_("时间"))
    kind = models.CharField(_("类型"), max_length=12, choices=EventKind.choices)
    from_stage = models.CharField(_("原环节"), max_length=12, choices=CaseStage.choices, blank=True)
    to_stage = models.CharField(_("新环节"), max_length=12, choices=CaseStage.choices, blank=True)
    actor = models.ForeignKey(
        Person,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    to_handler = models.ForeignKey(
        Person,
        verbose_name=_("接手人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.CharField(_("原因"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("办件记录")
        verbose_name_plural = _("办件记录")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.case} {self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"


class BookingRule(models.Model):
    """District-wide rules for bookings and deadlines (one row; defaults when there is none).

    The no-show rule: ``no_show_limit`` no-shows within ``no_show_window_days`` suspend booking
    for ``suspension_days`` from the last of them. A booking not checked in within
    ``no_show_grace_minutes`` after its slot ends counts as a no-show.
    """

    no_show_limit = models.PositiveSmallIntegerField(_("爽约次数上限"), default=3)
    no_show_window_days = models.PositiveSmallIntegerField(_("爽约统计周期（天）"), default=182)
    suspension_days = models.PositiveSmallIntegerField(_("暂停预约天数"), default=30)
    no_show_grace_minutes = models.PositiveSmallIntegerField(_("签到宽限（分钟）"), default=15)
    near_due_working_days = models.PositiveSmallIntegerField(_("临期提醒（工作日）"), default=2)

    class Meta:
        verbose_name = _("预约与时限规则")
        verbose_name_plural = _("预约与时限规则")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)

"""Service cases: acceptance by the first handler, stages, deadlines, handovers, status lookup.

The clerk who accepts an application is its first handler (首办责任人) and owns it to the
end; a handover needs a reason and lands on the timeline. Stages only move forward, by a
conditional UPDATE on the stage the caller saw.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import IntegrityError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _

from jingwu import events
from jingwu.audit import services as audit
from jingwu.audit.models import AuditEntry
from jingwu.counter.models import (
    OPEN_STAGES,
    STAGE_ORDER,
    CaseEvent,
    CaseStage,
    EventKind,
    ServiceCase,
    ServicePoint,
    Ticket,
    TicketStatus,
    Window,
)
from jingwu.counter.services import access
from jingwu.counter.services.applicant import clean_applicant, clean_last4
from jingwu.counter.services.booking import booking_rule
from jingwu.counter.services.calendar import add_working_days
from jingwu.counter.services.catalogue import get_service, local_date
from jingwu.counter.services.queue import next_number
from jingwu.errors import Conflict, DomainError, Forbidden, Invalid, InvalidTransition, NotFound
from jingwu.orgs.models import Membership, Person
from jingwu.orgs.services import Actor

#: Wrong last-4 tries allowed per case number, and per client address, within the window.
LOOKUP_TRIES_PER_CASE = 5
LOOKUP_TRIES_PER_CLIENT = 20
LOOKUP_WINDOW = timedelta(minutes=15)


class RateLimited(DomainError):
    """Too many failed attempts: try again later (HTTP 429)."""

    status = 429
    type = "rate_limited"


def _publish(case: ServiceCase) -> None:
    events.publish(
        "counter.case",
        audiences=access.audiences(case.service_point.organization_id),
        id=case.pk,
        stage=case.stage,
    )


def _audit(
    actor: Actor | None, case: ServiceCase, action: str, detail: str, now: datetime, request: object
) -> None:
    audit.record(
        action=action,
        component="counter",
        user=actor.user if actor else None,
        organization_id=case.service_point.organization_id,
        object_type="service_case",
        object_id=case.pk,
        detail=detail,
        request=request,  # type: ignore[arg-type]
        at=now,
    )


def accept_case(
    *,
    window_id: int,
    actor: Actor,
    now: datetime,
    ticket_id: int | None = None,
    service_code: object = None,
    name: object = None,
    id_number: object = None,
    phone: object = None,
    request: HttpRequest | None = None,
) -> ServiceCase:
    """Accept an application at a window: the acting clerk becomes its first handler.

    From the ticket the window is serving (its booking fills in the applicant) or, without a
    ticket, for a service the window does. The due date counts working days after today.
    """
    window = Window.objects.select_related("service_point").filter(pk=window_id).first()
    if window is None:
        raise NotFound(_("窗口不存在。"), loc=["window_id"])
    point = window.service_point
    person_id = access.require_operator(actor, point)
    ticket = None
    if ticket_id is not None:
        ticket = (
            Ticket.objects.select_related("service", "appointment")
            .filter(pk=ticket_id, window=window, status=TicketStatus.CALLED)
            .first()
        )
        if ticket is None:
            raise Conflict(_("只能受理本窗口当前叫到的号。"), loc=["ticket_id"])
        service = ticket.service
        booking = ticket.appointment
        if booking is not None:
            name = name or booking.name
            id_number = id_number or booking.id_number
            phone = phone or booking.phone
    else:
        service = get_service(service_code)
    if not window.services.filter(pk=service.pk).exists():
        raise Invalid(_("该窗口不办理此事项。"), loc=["service"])
    applicant = clean_applicant(
        name=name, id_number=id_number, phone=phone, today=local_date(now), phone_required=False
    )
    today = local_date(now)
    due, estimated = add_working_days(today, service.time_limit_working_days)
    seq = next_number(f"case:{point.case_prefix}:{today:%Y%m%d}")
    try:
        case = ServiceCase.objects.create(
            number=f"{point.case_prefix}{today:%Y%m%d}{seq:04d}",
            service_point=point,
            service=service,
            window=window,
            ticket=ticket,
            applicant_name=applicant.name,
            id_number=applicant.id_number,
            phone=applicant.phone,
            first_handler_id=person_id,
            accepted_at=now,
            due_date=due,
            due_estimated=estimated,
        )
    except IntegrityError:
        raise Conflict(_("该号已受理过办件。"), loc=["ticket_id"]) from None
    CaseEvent.objects.create(
        case=case, at=now, kind=EventKind.ACCEPTED, to_stage=case.stage, actor_id=person_id
    )
    _audit(actor, case, "create", "accepted", now, request)
    _publish(case)
    return case


def _case_for(case_id: int, actor: Actor) -> tuple[ServiceCase, bool]:
    """The case if the actor may see it (else NotFound), and whether they may act as its head."""
    case = (
        ServiceCase.objects.select_related("service_point", "service", "first_handler", "window")
        .filter(pk=case_id)
        .first()
    )
    if case is None or not access.may_view(actor, case.service_point):
        raise NotFound(_("办件不存在。"), loc=["case_id"])
    return case, access.is_head(actor, case.service_point)


def _require_owner(case: ServiceCase, actor: Actor, head: bool) -> None:
    if not head and case.first_handler_id != actor.person_id:
        raise Forbidden(_("只有首办责任人或警务站负责人可以处理此办件。"))


def move_case(
    *,
    case_id: int,
    stage: object,
    actor: Actor,
    now: datetime,
    reason: str = "",
    request: HttpRequest | None = None,
) -> ServiceCase:
    """Move a case forward (stages may be skipped, never undone) or reject it with a reason."""
    case, head = _case_for(case_id, actor)
    _require_owner(case, actor, head)
    if stage not in CaseStage.values:
        raise Invalid(_("未知的取值，请从允许的选项中选择。"), loc=["stage"])
    target = CaseStage(str(stage))
    current = CaseStage(case.stage)
    reason = (reason or "").strip()[:200]
    if target == CaseStage.REJECTED:
        if current not in OPEN_STAGES:
            raise InvalidTransition(
                _("办件已「%(stage)s」，不能再不予办理。") % {"stage": current.label},
                loc=["stage"],
            )
        if not reason:
            raise Invalid(_("不予办理须填写原因。"), loc=["reason"])
    elif current == CaseStage.REJECTED or STAGE_ORDER.index(target) <= STAGE_ORDER.index(current):
        raise InvalidTransition(
            _("办件不能从「%(current)s」变为「%(target)s」：环节只能向前推进。")
            % {"current": current.label, "target": target.label},
            loc=["stage"],
        )
    changes: dict[str, object] = {"stage": target}
    if target in (CaseStage.READY, CaseStage.COLLECTED) and case.ready_at is None:
        changes["ready_at"] = now
    if target in (CaseStage.COLLECTED, CaseStage.REJECTED):
        changes["closed_at"] = now
    if target == CaseStage.REJECTED:
        changes["reject_reason"] = reason
    if ServiceCase.objects.filter(pk=case.pk, stage=current).update(**changes) != 1:
        raise InvalidTransition(_("办件已被他人更新，请刷新后重试。"), loc=["stage"])
    CaseEvent.objects.create(
        case=case,
        at=now,
        kind=EventKind.REJECTED if target == CaseStage.REJECTED else EventKind.STAGE,
        from_stage=current,
        to_stage=target,
        actor_id=actor.person_id,
        reason=reason,
    )
    case.refresh_from_db()
    _audit(actor, case, "update", f"stage {current}->{target}", now, request)
    _publish(case)
    return case


def operators_of(point: ServicePoint) -> list[Person]:
    """The people who staff the hall (who may take a case over)."""
    ids = Membership.objects.filter(
        organization_id=point.organization_id, role__in=access.OPERATOR_ROLES
    ).values_list("person_id", flat=True)
    return list(Person.objects.filter(pk__in=ids).order_by("id"))


def transfer_case(
    *,
    case_id: int,
    to_person_id: int,
    reason: str,
    actor: Actor,
    now: datetime,
    request: HttpRequest | None = None,
) -> ServiceCase:
    """Hand the case to another clerk of the hall; the reason is on the record."""
    case, head = _case_for(case_id, actor)
    _require_owner(case, actor, head)
    reason = (reason or "").strip()[:200]
    if not reason:
        raise Invalid(_("移交首办责任须填写原因。"), loc=["reason"])
    if case.stage not in OPEN_STAGES and case.stage != CaseStage.READY:
        raise InvalidTransition(_("办件已归档，不能移交。"), loc=["to_person_id"])
    if to_person_id == case.first_handler_id or to_person_id not in {
        p.pk for p in operators_of(case.service_point)
    }:
        raise Invalid(_("请选择本警务站的另一名窗口工作人员。"), loc=["to_person_id"])
    moved = ServiceCase.objects.filter(pk=case.pk, first_handler_id=case.first_handler_id).update(
        first_handler_id=to_person_id
    )
    if moved != 1:
        raise Conflict(_("办件已被他人移交，请刷新后重试。"), loc=["to_person_id"])
    CaseEvent.objects.create(
        case=case,
        at=now,
        kind=EventKind.TRANSFER,
        actor_id=actor.person_id,
        to_handler_id=to_person_id,
        reason=reason,
    )
    case.refresh_from_db()
    _audit(actor, case, "update", "first handler transferred", now, request)
    _publish(case)
    return case


def get_case(
    *, case_id: int, actor: Actor, now: datetime, request: HttpRequest | None = None
) -> ServiceCase:
    """One case with its timeline, for its hall's staff and heads (a personal-data read)."""
    case, _head = _case_for(case_id, actor)
    _audit(actor, case, "read", "", now, request)
    return case


@dataclass(frozen=True)
class Due:
    """Where a case stands against its deadline, and the stages it may move on to."""

    case: ServiceCase
    state: str  # "overdue", "near" or "ok"

    @property
    def moves(self) -> list[tuple[str, str]]:
        return forward_stages(self.case.stage)


def forward_stages(stage: str) -> list[tuple[str, str]]:
    """The stages a case at ``stage`` may move to next (later ones only), as (value, label)."""
    if stage not in STAGE_ORDER:
        return []
    later = STAGE_ORDER[STAGE_ORDER.index(CaseStage(stage)) + 1 :]
    return [(s.value, str(s.label)) for s in later]


def due_state(case: ServiceCase, today: date, near_days: int) -> str:
    """``overdue`` past the due date, ``near`` within ``near_days`` working days, else ``ok``."""
    if case.stage not in OPEN_STAGES:
        return "ok"
    if case.due_date < today:
        return "overdue"
    if case.due_date <= add_working_days(today, near_days)[0]:
        return "near"
    return "ok"


def list_cases(
    *,
    actor: Actor,
    now: datetime,
    point_id: int | None = None,
    due: str | None = None,
    mine: bool = False,
    limit: int = 200,
    request: HttpRequest | None = None,
) -> list[Due]:
    """Open cases the actor sees: their own as first handler, all of a hall for its heads.

    ``due="near"`` keeps the cases within the near-due working days or overdue; ``"overdue"``
    only those past their date. Clerks who are not heads only ever see their own cases.
    """
    if due not in (None, "", "near", "overdue"):
        raise Invalid(_("未知的取值，请从允许的选项中选择。"), loc=["due"])
    points = access.viewable_points(actor)
    if point_id is not None:
        points = [p for p in points if p.pk == point_id]
        if not points:
            raise NotFound(_("服务点不存在。"), loc=["point_id"])
    qs: QuerySet[ServiceCase] = ServiceCase.objects.filter(
        service_point__in=points, stage__in=OPEN_STAGES
    )
    head_of = [p.pk for p in points if access.is_head(actor, p)]
    if mine or not head_of:
        qs = qs.filter(first_handler_id=actor.person_id)
    else:
        qs = qs.filter(service_point_id__in=head_of)
    today = local_date(now)
    near_days = booking_rule().near_due_working_days
    if due == "overdue":
        qs = qs.filter(due_date__lt=today)
    elif due == "near":
        qs = qs.filter(due_date__lte=add_working_days(today, near_days)[0])
    rows = list(
        qs.select_related("service", "first_handler", "service_point").order_by("due_date", "id")[
            :limit
        ]
    )
    audit.record(
        action="read",
        component="counter",
        user=actor.user,
        object_type="service_case",
        object_id="list",
        detail=f"{len(rows)} rows, due={due or 'all'}",
        request=request,
        at=now,
    )
    return [Due(c, due_state(c, today, near_days)) for c in rows]


@dataclass(frozen=True)
class StatusLookup:
    """The outcome of a citizen's status lookup; failures are recorded before they are raised."""

    case: ServiceCase | None = None
    error: DomainError | None = None

    def unwrap(self) -> ServiceCase:
        """The case, or raise the recorded error (call after the audit row is committed)."""
        if self.error is not None:
            raise self.error
        assert self.case is not None
        return self.case


def _failures(*, now: datetime, **match: str) -> int:
    return AuditEntry.objects.filter(
        component="counter",
        object_type="case_status",
        action="denied",
        detail="wrong_digits",
        at__gte=now - LOOKUP_WINDOW,
        **match,
    ).count()


def lookup_case_status(
    *, number: object, id_last4: object, now: datetime, request: HttpRequest | None = None
) -> StatusLookup:
    """A citizen's case by number and the ID number's last four characters (no account).

    Wrong digits and unknown numbers answer alike (404) so numbers cannot be probed; each
    failure is audited and counted: 5 per case number, or 20 per client address, within 15
    minutes lock further tries out (429) until the oldest falls out of the window.
    """
    key = str(number or "").strip().upper()
    if not key or len(key) > 24:
        raise Invalid(_("请输入业务编号。"), loc=["number"])
    last4 = clean_last4(id_last4)
    client = audit.client_address(request)
    if _failures(now=now, object_id=key) >= LOOKUP_TRIES_PER_CASE or (
        client and _failures(now=now, client=client) >= LOOKUP_TRIES_PER_CLIENT
    ):
        audit.record(
            action="denied",
            component="counter",
            object_type="case_status",
            object_id=key,
            outcome="denied",
            detail="rate_limited",
            request=request,
            at=now,
        )
        return StatusLookup(
            error=RateLimited(_("查询失败次数过多，请 15 分钟后再试。"), loc=["id_last4"])
        )
    case = ServiceCase.objects.select_related("service", "service_point").filter(number=key).first()
    if case is None or not case.id_number.endswith(last4):
        audit.record(
            action="denied",
            component="counter",
            object_type="case_status",
            object_id=key,
            outcome="denied",
            detail="wrong_digits",
            request=request,
            at=now,
        )
        return StatusLookup(
            error=NotFound(
                _("未找到与业务编号和身份证后四位相符的办件，请核对后再试。"), loc=["number"]
            )
        )
    _audit(None, case, "read", "status lookup", now, request)
    return StatusLookup(case=case)


def masked_name(name: str) -> str:
    """A name as a status page shows it to whoever holds the case number: 刘*, 欧阳**."""
    return name[:1] + "*" * max(len(name) - 1, 1) if name else ""


def stage_history(case: ServiceCase) -> list[CaseEvent]:
    """The case's timeline, oldest first."""
    return list(case.events.select_related("actor", "to_handler").order_by("at", "id"))

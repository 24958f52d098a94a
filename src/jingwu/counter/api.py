"""API: catalogue, slots and bookings, tickets and calls, service cases, figures, capacity.

Citizens use the catalogue, slot, booking, ticket and status endpoints without an account
(``auth=None``); a bearer token or session sent anyway is still recognised, so a clerk's
check-in through the same endpoint needs no last-4 digits. Everything else needs a login.
"""

from __future__ import annotations

from datetime import date, datetime

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Router, Schema, Status

from jingwu.counter.models import Appointment, CaseStage, ServiceCase, Ticket, Window
from jingwu.counter.services import booking, capacity, cases, catalogue, figures, queue
from jingwu.counter.services.circle import service_circle
from jingwu.counter.services.transactions import writing
from jingwu.orgs.auth import BearerTokenAuth
from jingwu.orgs.services import Actor, actor_for, mask_id, mask_tel

router = Router(tags=["counter"])


def _caller(request: HttpRequest) -> Actor:
    """The actor behind an optional bearer token or session on an anonymous route."""
    if request.headers.get("Authorization", "").lower().startswith("bearer "):
        BearerTokenAuth()(request)
    return actor_for(getattr(request, "user", None) or AnonymousUser())


class ServiceOut(Schema):
    code: str
    name: str
    documents: list[str]
    handling_minutes: int
    time_limit_working_days: int
    legal_basis: str
    bookable: bool


class ServiceRef(Schema):
    code: str
    name: str


class WindowOut(Schema):
    id: int
    number: int
    name: str
    status: str
    services: list[str]


class PointOut(Schema):
    id: int
    kind: str
    name: str
    workstation: str
    organization_id: int
    lat: float | None
    lon: float | None
    services: list[ServiceRef]
    windows: list[WindowOut]


def _window(w: Window) -> dict[str, object]:
    return {
        "id": w.pk,
        "number": w.number,
        "name": w.name,
        "status": w.status,
        "services": [s.code for s in w.services.all()],
    }


@router.get("/services", auth=None, response=list[ServiceOut], summary="The service catalogue")
def list_services(request: HttpRequest) -> list[object]:
    return catalogue.list_services()  # type: ignore[return-value]


@router.get(
    "/service-points",
    auth=None,
    response=list[PointOut],
    summary="Workstation halls and self-service terminals, with the services they offer",
)
def list_service_points(request: HttpRequest) -> list[dict[str, object]]:
    return [
        {
            "id": p.pk,
            "kind": p.kind,
            "name": p.name,
            "workstation": p.organization.name,
            "organization_id": p.organization_id,
            "lat": p.lat,
            "lon": p.lon,
            "services": list(p.services.all()),
            "windows": [_window(w) for w in p.windows.prefetch_related("services")],
        }
        for p in catalogue.list_service_points()
    ]


class SlotOut(Schema):
    id: int
    service: str
    start: datetime
    end: datetime
    capacity: int
    remaining: int


@router.get(
    "/slots", auth=None, response=list[SlotOut], summary="Bookable slots of a hall for a service"
)
def list_slots(
    request: HttpRequest, workstation_id: int, service: str, date: date
) -> list[dict[str, object]]:
    slots = booking.search_slots(
        point_id=workstation_id, service_code=service, day=date, now=timezone.now()
    )
    return [
        {"id": s.pk, "service": s.service.code, "start": s.start, "end": s.end,
         "capacity": s.capacity, "remaining": s.remaining}
        for s in slots
    ]  # fmt: skip


class AppointmentIn(Schema):
    slot_id: int
    service: str
    name: str
    id_number: str
    phone: str


class AppointmentOut(Schema):
    id: int
    code: str
    status: str
    service: str
    workstation_id: int
    start: datetime
    end: datetime


def _appointment(a: Appointment) -> dict[str, object]:
    return {
        "id": a.pk,
        "code": a.code,
        "status": a.status,
        "service": a.service.code,
        "workstation_id": a.service_point_id,
        "start": a.slot.start,
        "end": a.slot.end,
    }


@router.post(
    "/appointments",
    auth=None,
    response={201: AppointmentOut},
    summary="Book a slot with name, ID number and phone (no account needed)",
)
def create_appointment(request: HttpRequest, payload: AppointmentIn) -> Status[dict[str, object]]:
    with writing():
        a = booking.book_slot(
            slot_id=payload.slot_id,
            service_code=payload.service,
            name=payload.name,
            id_number=payload.id_number,
            phone=payload.phone,
            now=timezone.now(),
            request=request,
        )
    return Status(201, _appointment(a))


class Last4In(Schema):
    id_last4: str


@router.post(
    "/appointments/{code}/cancel",
    auth=None,
    response=AppointmentOut,
    summary="Cancel a booking with its code and the ID number's last 4 characters",
)
def cancel_appointment(request: HttpRequest, code: str, payload: Last4In) -> dict[str, object]:
    with writing():
        a = booking.cancel_appointment(
            code=code, id_last4=payload.id_last4, now=timezone.now(), request=request
        )
    return _appointment(a)


class BookingRow(AppointmentOut):
    name: str
    id_number: str
    phone: str


@router.get(
    "/appointments",
    response=list[BookingRow],
    summary="A hall's bookings of one day (staff and heads)",
)
def list_appointments(
    request: HttpRequest, workstation_id: int, date: date
) -> list[dict[str, object]]:
    actor = actor_for(request.user)
    with writing():
        rows = booking.list_appointments(
            actor=actor, point_id=workstation_id, day=date, request=request
        )
    return [
        {**_appointment(a), "name": a.name, "id_number": mask_id(actor, a.id_number),
         "phone": mask_tel(actor, a.phone)}
        for a in rows
    ]  # fmt: skip


class TicketIn(Schema):
    workstation_id: int
    service: str
    appointment_id: int | None = None
    id_last4: str | None = None


class TicketOut(Schema):
    id: int
    number: str
    service: str
    status: str
    issued_at: datetime
    called_at: datetime | None
    window_id: int | None
    window: str | None
    appointment_id: int | None


def _ticket(t: Ticket) -> dict[str, object]:
    return {
        "id": t.pk,
        "number": t.number,
        "service": t.service.code,
        "status": t.status,
        "issued_at": t.issued_at,
        "called_at": t.called_at,
        "window_id": t.window_id,
        "window": t.window.name if t.window_id else None,  # type: ignore[union-attr]
        "appointment_id": t.appointment_id,
    }


@router.post(
    "/tickets",
    auth=None,
    response={201: TicketOut},
    summary="Take a queue number, or check in with a booking (a priority ticket)",
)
def take_ticket(request: HttpRequest, payload: TicketIn) -> Status[dict[str, object]]:
    with writing():
        t = queue.take_ticket(
            point_id=payload.workstation_id,
            service_code=payload.service,
            appointment_id=payload.appointment_id,
            id_last4=payload.id_last4,
            actor=_caller(request),
            now=timezone.now(),
            request=request,
        )
    return Status(201, _ticket(t))


@router.post(
    "/windows/{window_id}/call-next",
    response=TicketOut,
    summary="Finish the current ticket and call the next (404 when nobody waits)",
)
def call_next(request: HttpRequest, window_id: int) -> dict[str, object]:
    with writing():
        t = queue.call_next(
            window_id=window_id, actor=actor_for(request.user), now=timezone.now(), request=request
        )
    return _ticket(t)


def _window_action(request: HttpRequest, window_id: int, action: str) -> dict[str, object]:
    use_case = {"recall": queue.recall, "skip": queue.skip, "finish": queue.finish}[action]
    with writing():
        t = use_case(
            window_id=window_id, actor=actor_for(request.user), now=timezone.now(), request=request
        )
    return _ticket(t)


@router.post(
    "/windows/{window_id}/recall", response=TicketOut, summary="Call the current ticket again"
)
def recall(request: HttpRequest, window_id: int) -> dict[str, object]:
    return _window_action(request, window_id, "recall")


@router.post(
    "/windows/{window_id}/skip", response=TicketOut, summary="Pass the current ticket (过号)"
)
def skip(request: HttpRequest, window_id: int) -> dict[str, object]:
    return _window_action(request, window_id, "skip")


@router.post(
    "/windows/{window_id}/finish", response=TicketOut, summary="Done with the current ticket"
)
def finish(request: HttpRequest, window_id: int) -> dict[str, object]:
    return _window_action(request, window_id, "finish")


class TransferIn(Schema):
    to_window_id: int


@router.post(
    "/windows/{window_id}/transfer",
    response=TicketOut,
    summary="Send the current ticket to another window of the hall",
)
def transfer(request: HttpRequest, window_id: int, payload: TransferIn) -> dict[str, object]:
    with writing():
        t = queue.transfer(
            window_id=window_id,
            to_window_id=payload.to_window_id,
            actor=actor_for(request.user),
            now=timezone.now(),
            request=request,
        )
    return _ticket(t)


class WindowStatusIn(Schema):
    status: str


@router.post(
    "/windows/{window_id}/status", response=WindowOut, summary="Open, pause or close a window"
)
def window_status(
    request: HttpRequest, window_id: int, payload: WindowStatusIn
) -> dict[str, object]:
    with writing():
        w = queue.set_window_status(
            window_id=window_id,
            status=payload.status,
            actor=actor_for(request.user),
            now=timezone.now(),
            request=request,
        )
    return _window(w)


class CaseIn(Schema):
    window_id: int
    ticket_id: int | None = None
    service: str | None = None
    name: str | None = None
    id_number: str | None = None
    phone: str | None = None


class CaseOut(Schema):
    id: int
    number: str
    service: str
    service_name: str
    stage: str
    stage_label: str
    due_date: date
    due_estimated: bool
    due_state: str
    accepted_at: datetime
    ready_at: datetime | None
    first_handler: str
    first_handler_id: int
    window_id: int | None
    applicant_name: str
    id_number: str
    phone: str


def _case(c: ServiceCase, actor: Actor, due_state: str = "") -> dict[str, object]:
    return {
        "id": c.pk,
        "number": c.number,
        "service": c.service.code,
        "service_name": c.service.name,
        "stage": c.stage,
        "stage_label": str(CaseStage(c.stage).label),
        "due_date": c.due_date,
        "due_estimated": c.due_estimated,
        "due_state": due_state,
        "accepted_at": c.accepted_at,
        "ready_at": c.ready_at,
        "first_handler": c.first_handler.name,
        "first_handler_id": c.first_handler_id,
        "window_id": c.window_id,
        "applicant_name": c.applicant_name,
        "id_number": mask_id(actor, c.id_number),
        "phone": mask_tel(actor, c.phone),
    }


@router.post(
    "/cases", response={201: CaseOut}, summary="Accept an application: you become its first handler"
)
def accept_case(request: HttpRequest, payload: CaseIn) -> Status[dict[str, object]]:
    actor = actor_for(request.user)
    with writing():
        c = cases.accept_case(
            window_id=payload.window_id,
            ticket_id=payload.ticket_id,
            service_code=payload.service,
            name=payload.name,
            id_number=payload.id_number,
            phone=payload.phone,
            actor=actor,
            now=timezone.now(),
            request=request,
        )
    return Status(201, _case(c, actor))


class StatusOut(Schema):
    number: str
    service: str
    workstation: str
    stage: str
    stage_label: str
    due_date: date
    due_estimated: bool
    ready_at: datetime | None
    applicant: str


@router.get(
    "/cases/status",
    auth=None,
    response=StatusOut,
    summary="A citizen's case status by case number and the ID number's last 4 characters",
)
def case_status(request: HttpRequest, number: str = "", id_last4: str = "") -> dict[str, object]:
    with writing():
        outcome = cases.lookup_case_status(
            number=number, id_last4=id_last4, now=timezone.now(), request=request
        )
    # Raised only now, after the failed try is committed to the audit log (it is the counter).
    c = outcome.unwrap()
    return {
        "number": c.number,
        "service": c.service.name,
        "workstation": c.service_point.name,
        "stage": c.stage,
        "stage_label": str(CaseStage(c.stage).label),
        "due_date": c.due_date,
        "due_estimated": c.due_estimated,
        "ready_at": c.ready_at,
        "applicant": cases.masked_name(c.applicant_name),
    }


@router.get("/cases", response=list[CaseOut], summary="Open cases: mine, or my halls' for heads")
def list_cases(
    request: HttpRequest,
    due: str | None = None,
    mine: bool = False,
    workstation_id: int | None = None,
) -> list[dict[str, object]]:
    actor = actor_for(request.user)
    with writing():
        rows = cases.list_cases(
            actor=actor, now=timezone.now(), point_id=workstation_id, due=due, mine=mine,
            request=request,
        )  # fmt: skip
    return [_case(d.case, actor, d.state) for d in rows]


class EventOut(Schema):
    at: datetime
    kind: str
    from_stage: str
    to_stage: str
    actor: str | None
    to_handler: str | None
    reason: str


class CaseDetailOut(CaseOut):
    events: list[EventOut]
    reject_reason: str


@router.get("/cases/{case_id}", response=CaseDetailOut, summary="One case with its timeline")
def get_case(request: HttpRequest, case_id: int) -> dict[str, object]:
    actor = actor_for(request.user)
    with writing():
        c = cases.get_case(case_id=case_id, actor=actor, now=timezone.now(), request=request)
    events = [
        {"at": e.at, "kind": e.kind, "from_stage": e.from_stage, "to_stage": e.to_stage,
         "actor": e.actor.name if e.actor else None,
         "to_handler": e.to_handler.name if e.to_handler else None, "reason": e.reason}
        for e in cases.stage_history(c)
    ]  # fmt: skip
    return {**_case(c, actor), "events": events, "reject_reason": c.reject_reason}


class StageIn(Schema):
    stage: str
    reason: str = ""


@router.post(
    "/cases/{case_id}/stage",
    response=CaseOut,
    summary="Move a case forward, or reject it with a reason",
)
def move_case(request: HttpRequest, case_id: int, payload: StageIn) -> dict[str, object]:
    actor = actor_for(request.user)
    with writing():
        c = cases.move_case(
            case_id=case_id, stage=payload.stage, reason=payload.reason, actor=actor,
            now=timezone.now(), request=request,
        )  # fmt: skip
    return _case(c, actor)


class CaseTransferIn(Schema):
    to_person_id: int
    reason: str


@router.post(
    "/cases/{case_id}/transfer",
    response=CaseOut,
    summary="Hand the case to another clerk of the hall (a reason is required)",
)
def transfer_case(request: HttpRequest, case_id: int, payload: CaseTransferIn) -> dict[str, object]:
    actor = actor_for(request.user)
    with writing():
        c = cases.transfer_case(
            case_id=case_id, to_person_id=payload.to_person_id, reason=payload.reason,
            actor=actor, now=timezone.now(), request=request,
        )  # fmt: skip
    return _case(c, actor)


class CapacityOut(Schema):
    windows: int
    prob_wait: float
    service_level: float
    mean_wait_minutes: float
    occupancy: float
    offered_load_erlangs: float


@router.get(
    "/capacity",
    auth=None,
    response=CapacityOut,
    summary="Erlang C: the fewest windows that serve the target share within the target wait",
)
def capacity_plan(
    request: HttpRequest,
    arrivals_per_hour: float,
    handling_minutes: float,
    target_minutes: float = 15,
    service_level: float = 0.8,
) -> dict[str, object]:
    f = capacity.plan_windows(
        arrivals_per_hour=arrivals_per_hour,
        handling_minutes=handling_minutes,
        target_minutes=target_minutes,
        service_level=service_level,
    )
    return {
        "windows": f.servers,
        "prob_wait": f.prob_wait,
        "service_level": f.service_level,
        "mean_wait_minutes": f.mean_wait,
        "occupancy": f.occupancy,
        "offered_load_erlangs": f.offered_load,
    }


@router.get(
    "/capacity/hourly", summary="A hall's arrivals per hour from its history and windows needed"
)
def capacity_hourly(
    request: HttpRequest,
    workstation_id: int,
    start: date | None = None,
    end: date | None = None,
    target_minutes: float = 15,
    service_level: float = 0.8,
) -> dict[str, object]:
    plan = capacity.hourly_plan(
        actor=actor_for(request.user), point_id=workstation_id, now=timezone.now(),
        start=start, end=end, target_minutes=target_minutes, service_level=service_level,
    )  # fmt: skip
    return {
        "workstation_id": plan.point.pk,
        "start": plan.period.start,
        "end": plan.period.end,
        "working_days": plan.days,
        "handling_minutes": plan.handling_minutes,
        "hours": [vars(h) for h in plan.hours],
    }


@router.get("/figures", summary="Applications per service, window and month; times; utilisation")
def get_figures(
    request: HttpRequest,
    workstation_id: int | None = None,
    start: date | None = None,
    end: date | None = None,
) -> dict[str, object]:
    fig = figures.compute_figures(
        actor=actor_for(request.user), now=timezone.now(), point_id=workstation_id,
        start=start, end=end,
    )  # fmt: skip
    return {
        "start": fig.period.start,
        "end": fig.period.end,
        "workstations": [{"id": p.pk, "name": p.name} for p in fig.points],
        "total_cases": fig.total_cases,
        "by_service": [{"workstation": a, "service": b, "cases": n} for a, b, n in fig.by_service],
        "by_window": [{"workstation": a, "window": b, "cases": n} for a, b, n in fig.by_window],
        "by_month": [{"month": a, "service": b, "cases": n} for a, b, n in fig.by_month],
        "hours": [vars(h) for h in fig.hours],
        "windows": [{**vars(w), "utilisation": w.utilisation} for w in fig.windows],
        "on_time": [{**vars(o), "rate": o.rate} for o in fig.on_time],
    }


@router.get("/figures.xlsx", summary="The figures as an Excel workbook (Chinese headers)")
def figures_xlsx(
    request: HttpRequest,
    workstation_id: int | None = None,
    start: date | None = None,
    end: date | None = None,
) -> HttpResponse:
    actor = actor_for(request.user)
    fig = figures.compute_figures(
        actor=actor, now=timezone.now(), point_id=workstation_id, start=start, end=end
    )
    with writing():
        body = figures.export_workbook(fig, actor=actor, request=request)
    response = HttpResponse(
        body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="counter-figures-{fig.period.start}-{fig.period.end}.xlsx"'
    )
    return response


@router.get("/service-circle", summary="Share of grids and residents within 15 minutes' walk")
def get_service_circle(request: HttpRequest, layer: bool = False) -> dict[str, object]:
    circle = service_circle(actor=actor_for(request.user), with_layer=layer)
    out: dict[str, object] = {
        "minutes": circle.minutes,
        "method": circle.method,
        "estimated": circle.estimated,
        "grids_total": len(circle.grids),
        "grids_covered": circle.grids_covered,
        "grid_share": circle.grid_share,
        "grids_with_population": circle.grids_with_population,
        "population_total": circle.population_total,
        "population_covered": circle.population_covered,
        "population_share": circle.population_share,
        "points": [vars(p) for p in circle.points],
        "grids": [
            {"code": g.code, "name": g.name, "population": g.population,
             "walk_minutes": round(g.seconds / 60, 1) if g.seconds != float("inf") else None,
             "nearest": g.nearest, "covered": g.covered}
            for g in circle.grids
        ],
    }  # fmt: skip
    if layer:
        out["layer"] = {"type": "FeatureCollection", "features": circle.circles}
        out["grid_features"] = [
            {"type": "Feature", "properties": {"code": g.code}, "geometry": g.geometry}
            for g in circle.grids
        ]
    return out

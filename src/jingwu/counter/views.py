"""Pages: the citizen's booking, cancellation, status and kiosk pages (no account), the
waiting-room display, and the staff pages (desk, cases, figures, capacity, service circle).

Each view parses the form, calls one use case and renders; a DomainError becomes a message
next to its field (``errors[field]``) or at the top of the page.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from jingwu.counter.models import OPEN_STAGES, CaseStage
from jingwu.counter.services import (
    access,
    booking,
    capacity,
    cases,
    catalogue,
    desk,
    figures,
    queue,
)
from jingwu.counter.services.circle import service_circle
from jingwu.counter.services.transactions import writing
from jingwu.errors import DomainError
from jingwu.orgs.services import actor_for, mask_id


def _errors(exc: DomainError) -> dict[str, str]:
    out: dict[str, str] = {}
    for e in exc.detail():
        loc = e.get("loc") or ["form"]
        out.setdefault(str(loc[-1]), str(e["msg"]))  # type: ignore[index]
    return out


def _int(value: object) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def _date(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value))
    except (TypeError, ValueError):
        return None


def index(request: HttpRequest) -> HttpResponse:
    actor = actor_for(request.user)
    return render(
        request,
        "counter/index.html",
        {
            "halls": [p for p in catalogue.list_service_points() if p.kind == "hall"],
            "staff": bool(access.viewable_points(actor)),
            "desk": bool(access.operated_points(actor)),
        },
    )


@require_http_methods(["GET", "POST"])
def book(request: HttpRequest) -> HttpResponse:
    """The citizen's booking page: pick a hall, a service and a day, then a slot, then sign."""
    now = timezone.now()
    data = request.POST if request.method == "POST" else request.GET
    chosen = {
        k: data.get(k, "")
        for k in ("ws", "service", "date", "slot_id", "name", "id_number", "phone")
    }
    chosen["date"] = chosen["date"] or str(catalogue.local_date(now))
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            with writing():
                appointment = booking.book_slot(
                    slot_id=_int(chosen["slot_id"]) or 0,
                    service_code=chosen["service"],
                    name=chosen["name"],
                    id_number=chosen["id_number"],
                    phone=chosen["phone"],
                    now=now,
                    request=request,
                )
            return redirect(f"/counter/book/done/?code={appointment.code}")
        except DomainError as exc:
            errors = _errors(exc)
    slots: list[Any] = []
    if chosen["ws"] and chosen["service"]:
        try:
            slots = booking.search_slots(
                point_id=chosen["ws"],
                service_code=chosen["service"],
                day=_date(chosen["date"]) or catalogue.local_date(now),
                now=now,
            )
        except DomainError as exc:
            errors = {**_errors(exc), **errors}
    return render(
        request,
        "counter/book.html",
        {
            "halls": [p for p in catalogue.list_service_points() if p.kind == "hall"],
            "services": [s for s in catalogue.list_services() if s.bookable],
            "chosen": chosen,
            "slots": slots,
            "searched": bool(chosen["ws"] and chosen["service"]),
            "errors": errors,
        },
        status=400 if errors and request.method == "POST" else 200,
    )


def book_done(request: HttpRequest) -> HttpResponse:
    try:
        appointment = booking.get_confirmation(code=request.GET.get("code", ""))
    except DomainError:
        return redirect("/counter/book/")
    return render(
        request,
        "counter/book_done.html",
        {"a": appointment, "masked_name": cases.masked_name(appointment.name)},
    )


@require_http_methods(["GET", "POST"])
def cancel(request: HttpRequest) -> HttpResponse:
    errors: dict[str, str] = {}
    done = None
    if request.method == "POST":
        try:
            with writing():
                done = booking.cancel_appointment(
                    code=request.POST.get("code", ""),
                    id_last4=request.POST.get("id_last4", ""),
                    now=timezone.now(),
                    request=request,
                )
        except DomainError as exc:
            errors = _errors(exc)
    return render(
        request,
        "counter/cancel.html",
        {"errors": errors, "done": done, "form": request.POST},
        status=400 if errors else 200,
    )


def status(request: HttpRequest) -> HttpResponse:
    """The citizen's status lookup: case number and the ID number's last 4 characters."""
    errors: dict[str, str] = {}
    found = None
    number, last4 = request.GET.get("number", ""), request.GET.get("id_last4", "")
    code = 200
    if number or last4:
        try:
            with writing():
                outcome = cases.lookup_case_status(
                    number=number, id_last4=last4, now=timezone.now(), request=request
                )
            found = outcome.unwrap()
        except DomainError as exc:
            errors, code = _errors(exc), exc.status
    return render(
        request,
        "counter/status.html",
        {
            "errors": errors,
            "case": found,
            "stage_label": CaseStage(found.stage).label if found else "",
            "masked_name": cases.masked_name(found.applicant_name) if found else "",
            "number": number,
        },
        status=code,
    )


@require_http_methods(["GET", "POST"])
def kiosk(request: HttpRequest, point_id: int) -> HttpResponse:
    """The self-service ticket machine of a hall: take a number, or check in a booking."""
    now = timezone.now()
    errors: dict[str, str] = {}
    ticket = None
    if request.method == "POST":
        try:
            with writing():
                if request.POST.get("code"):
                    ticket = queue.check_in_with_code(
                        point_id=point_id,
                        code=request.POST.get("code"),
                        id_last4=request.POST.get("id_last4"),
                        actor=actor_for(request.user),
                        now=now,
                        request=request,
                    )
                else:
                    ticket = queue.take_ticket(
                        point_id=point_id,
                        service_code=request.POST.get("service"),
                        actor=actor_for(request.user),
                        now=now,
                        request=request,
                    )
        except DomainError as exc:
            errors = _errors(exc)
    try:
        board = queue.queue_board(point_id=point_id, now=now)
    except DomainError:
        return render(request, "counter/message.html", {"message": _("服务点不存在。")}, status=404)
    return render(
        request,
        "counter/kiosk.html",
        {"board": board, "ticket": ticket, "errors": errors},
        status=400 if errors else 200,
    )


def display(request: HttpRequest, point_id: int) -> HttpResponse:
    """The waiting-room screen: big numbers, current calls, waits per service."""
    try:
        board = queue.queue_board(point_id=point_id, now=timezone.now())
    except DomainError:
        return render(request, "counter/message.html", {"message": _("服务点不存在。")}, status=404)
    template = (
        "counter/_board.html" if request.headers.get("HX-Request") else "counter/display.html"
    )
    return render(request, template, {"board": board})


def _desk_action(request: HttpRequest, action: str, window_id: int) -> str:
    """Run one desk action; return the success message."""
    actor, now, post = actor_for(request.user), timezone.now(), request.POST
    common: dict[str, Any] = {"actor": actor, "now": now, "request": request}
    if action == "status":
        queue.set_window_status(window_id=window_id, status=post.get("status"), **common)
        return _("窗口状态已更新。")
    if action in ("call", "recall", "skip", "finish"):
        use_case = {"call": queue.call_next, "recall": queue.recall, "skip": queue.skip,
                    "finish": queue.finish}[action]  # fmt: skip
        ticket = use_case(window_id=window_id, **common)
        return _("%(number)s 号：%(status)s") % {
            "number": ticket.number,
            "status": ticket.get_status_display(),
        }
    if action == "transfer":
        ticket = queue.transfer(
            window_id=window_id, to_window_id=_int(post.get("to_window_id")) or 0, **common
        )
        return _("%(number)s 号已转至其他窗口。") % {"number": ticket.number}
    if action == "checkin":
        ticket = queue.take_ticket(
            point_id=post.get("point_id"),
            service_code=post.get("service"),
            appointment_id=_int(post.get("appointment_id")),
            **common,
        )
        return _("已签到，排队号 %(number)s。") % {"number": ticket.number}
    if action == "accept":
        case = cases.accept_case(
            window_id=window_id,
            ticket_id=_int(post.get("ticket_id")),
            service_code=post.get("service"),
            name=post.get("name"),
            id_number=post.get("id_number"),
            phone=post.get("phone"),
            **common,
        )
        return _("已受理，业务编号 %(number)s，办结期限 %(due)s。") % {
            "number": case.number,
            "due": case.due_date,
        }
    if action == "stage":
        case = cases.move_case(
            case_id=_int(post.get("case_id")) or 0,
            stage=post.get("stage"),
            reason=post.get("reason", ""),
            **common,
        )
        return _("办件 %(number)s：%(stage)s") % {
            "number": case.number,
            "stage": case.get_stage_display(),
        }
    if action == "handover":
        case = cases.transfer_case(
            case_id=_int(post.get("case_id")) or 0,
            to_person_id=_int(post.get("to_person_id")) or 0,
            reason=post.get("reason", ""),
            **common,
        )
        return _("办件 %(number)s 已移交 %(name)s。") % {
            "number": case.number,
            "name": case.first_handler.name,
        }
    return _("未知的操作。")


@login_required
@require_http_methods(["GET", "POST"])
def desk_page(request: HttpRequest) -> HttpResponse:
    """The clerk's window: status, calls, bookings to check in, acceptance, my cases."""
    window_id = _int(request.POST.get("window") or request.GET.get("window"))
    if request.method == "POST":
        try:
            with writing():
                messages.success(
                    request, _desk_action(request, request.POST.get("action", ""), window_id or 0)
                )
        except DomainError as exc:
            messages.error(request, "；".join(_errors(exc).values()))
        back = request.POST.get("next", "")
        # Only back to one of our own pages: never an open redirect.
        if back.startswith("/counter/") and "//" not in back:
            return redirect(back)
        return redirect(f"/counter/desk/?window={window_id or ''}")
    try:
        with writing():
            state = desk.desk(
                actor=actor_for(request.user),
                now=timezone.now(),
                window_id=window_id,
                request=request,
            )
    except DomainError as exc:
        return render(request, "counter/message.html", {"message": exc.msg}, status=exc.status)
    return render(
        request,
        "counter/desk.html",
        {"d": state, "services": catalogue.list_services()},
    )


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    """Open cases near or past their due date, for the clerk and the workstation head."""
    due = request.GET.get("due", "near")
    try:
        with writing():
            rows = cases.list_cases(
                actor=actor_for(request.user),
                now=timezone.now(),
                point_id=_int(request.GET.get("ws")),
                due=due if due in ("near", "overdue") else None,
                request=request,
            )
    except DomainError as exc:
        return render(request, "counter/message.html", {"message": exc.msg}, status=exc.status)
    return render(request, "counter/cases.html", {"rows": rows, "due": due})


@login_required
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = actor_for(request.user)
    try:
        with writing():
            case = cases.get_case(case_id=case_id, actor=actor, now=timezone.now(), request=request)
    except DomainError as exc:
        return render(request, "counter/message.html", {"message": exc.msg}, status=exc.status)
    return render(
        request,
        "counter/case.html",
        {
            "case": case,
            "events": cases.stage_history(case),
            "moves": cases.forward_stages(case.stage),
            "open_stages": list(OPEN_STAGES),
            "colleagues": cases.operators_of(case.service_point),
            "id_number": mask_id(actor, case.id_number),
        },
    )


def _period_args(request: HttpRequest) -> dict[str, Any]:
    return {
        "point_id": _int(request.GET.get("ws")),
        "start": _date(request.GET.get("start")),
        "end": _date(request.GET.get("end")),
    }


@login_required
def figures_page(request: HttpRequest) -> HttpResponse:
    actor = actor_for(request.user)
    try:
        fig = figures.compute_figures(actor=actor, now=timezone.now(), **_period_args(request))
    except DomainError as exc:
        return render(request, "counter/message.html", {"message": exc.msg}, status=exc.status)
    return render(
        request,
        "counter/figures.html",
        {"fig": fig, "halls": access.viewable_points(actor), "ws": request.GET.get("ws", "")},
    )


@login_required
def capacity_page(request: HttpRequest) -> HttpResponse:
    actor = actor_for(request.user)
    halls = access.viewable_points(actor)
    context: dict[str, Any] = {"halls": halls, "errors": {}, "query": request.GET}
    args = _period_args(request)
    try:
        if halls:
            context["plan"] = capacity.hourly_plan(
                actor=actor,
                point_id=args["point_id"] or halls[0].pk,
                now=timezone.now(),
                start=args["start"],
                end=args["end"],
                target_minutes=request.GET.get("target_minutes") or 15,
                service_level=request.GET.get("service_level") or 0.8,
            )
        if request.GET.get("arrivals_per_hour"):
            context["calc"] = capacity.plan_windows(
                arrivals_per_hour=request.GET.get("arrivals_per_hour"),
                handling_minutes=request.GET.get("handling_minutes"),
                target_minutes=request.GET.get("target_minutes") or 15,
                service_level=request.GET.get("service_level") or 0.8,
            )
    except DomainError as exc:
        context["errors"] = _errors(exc)
    return render(request, "counter/capacity.html", context)


@login_required
def circle_page(request: HttpRequest) -> HttpResponse:
    circle = service_circle(actor=actor_for(request.user), with_layer=False)
    return render(request, "counter/circle.html", {"circle": circle})

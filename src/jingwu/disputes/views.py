"""Pages for disputes: the directors' board, cases and the case page, meetings, early warning,
figures. Thin edges over the same use cases the API calls; a DomainError becomes a message next
to its field (or a 404 page that names nothing)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from jingwu.disputes.models import (
    USER_ENTRY_KINDS,
    DisputeType,
    EntryKind,
    LeadSource,
    LeadStatus,
    ParticipantRole,
    PartyRole,
    Referral,
    Risk,
    Stage,
)
from jingwu.disputes.services import (
    access,
    agreements,
    cases,
    duplicates,
    figures,
    incident_link,
    leads,
    meetings,
    risk,
    workflow,
)
from jingwu.disputes.services.common import Upload
from jingwu.errors import DomainError, NotFound
from jingwu.orgs.services import actor_for


def _errors(exc: DomainError) -> dict[str, str]:
    out: dict[str, str] = {}
    for e in exc.detail():
        loc = e.get("loc") or ["general"]
        out.setdefault(str(loc[0]), str(e.get("msg")))
    return out


def _not_found(request: HttpRequest) -> HttpResponse:
    return render(request, "disputes/not_found.html", status=404)


def _uploads(request: HttpRequest, field: str) -> list[Upload]:
    return [
        Upload(f.name, f.content_type or "", f.read()) for f in request.FILES.getlist(field)[:10]
    ]


def _when(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = parse_datetime(value)
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def _choices(enum: Any, only: Any = None) -> list[tuple[str, str]]:
    return [(k, str(v)) for k, v in enum.choices if only is None or k in only]


# ---------------------------------------------------------------- the board


def _board_context(request: HttpRequest, group_id: Any = None) -> dict[str, Any]:
    actor = actor_for(request.user)
    groups = list(leads.groups_of(actor))
    group = next((g for g in groups if str(g.pk) == str(group_id)), groups[0] if groups else None)
    post = group.workstation.areas.filter(post_lat__isnull=False).first() if group else None
    return {
        "actor": actor,
        "groups": groups,
        "group": group,
        "is_member": bool(group and group.members.filter(person_id=actor.person_id).exists()),
        "sources": _choices(LeadSource),
        "types": _choices(DisputeType),
        "default_lat": post.post_lat if post else "",
        "default_lon": post.post_lon if post else "",
        "my_cases": cases.list_cases(actor=actor, now=timezone.now()).exclude(
            stage__in=[Stage.CLOSED, Stage.REFERRED]
        )[:20],
        "now": timezone.now(),
    }


@login_required
@require_http_methods(["GET", "POST"])
def board(request: HttpRequest) -> HttpResponse:
    """The directors' group board: post a lead; the lead list refreshes live."""
    ctx = _board_context(request, request.GET.get("group") or request.POST.get("group_id"))
    status = 200
    if request.method == "POST":
        try:
            with transaction.atomic():
                lead = leads.create_lead(
                    actor=ctx["actor"],
                    text=request.POST.get("text"),
                    lat=request.POST.get("lat"),
                    lon=request.POST.get("lon"),
                    address=request.POST.get("address"),
                    source=request.POST.get("source"),
                    photos=_uploads(request, "photos"),
                    group_id=request.POST.get("group_id") or None,
                    now=timezone.now(),
                )
            return redirect(f"/disputes/?group={lead.group_id}&posted={lead.pk}")
        except DomainError as exc:
            ctx |= {"errors": _errors(exc), "form": request.POST}
            status = exc.status
    return render(request, "disputes/board.html", ctx, status=status)


@login_required
def board_leads(request: HttpRequest) -> HttpResponse:
    """The lead list of one group (htmx fragment, refetched on every board event)."""
    actor = actor_for(request.user)
    group_id = request.GET.get("group")
    qs = leads.list_leads(
        actor=actor, group_id=int(group_id) if group_id and group_id.isdigit() else None
    )
    items = list(qs.prefetch_related("attachments")[:60])
    seen = set(
        access.visible_cases(actor)
        .filter(pk__in=[x.case_id for x in items if x.case_id])
        .values_list("pk", flat=True)
    )
    rows = []
    for lead in items:
        view = leads.lead_view(actor, lead, visible_case_ids=seen)
        view["may_decide"] = lead.status == LeadStatus.OPEN and leads.may_decide(actor, lead)
        if view["may_decide"]:
            view["duplicates"] = duplicates.duplicates_of_lead(actor=actor, lead=lead, limit=3)
        rows.append(view)
    return render(
        request, "disputes/_lead_list.html", {"leads": rows, "types": _choices(DisputeType)}
    )


@login_required
@require_POST
def lead_action(request: HttpRequest, lead_id: int, action: str) -> HttpResponse:
    """Promote, merge or dismiss a lead from the board."""
    actor, now = actor_for(request.user), timezone.now()
    try:
        with transaction.atomic():
            if action == "promote":
                case = leads.promote_lead(
                    actor=actor, lead_id=lead_id, type=request.POST.get("type") or None, now=now
                )
                return redirect(f"/disputes/cases/{case.pk}/")
            if action == "merge":
                case = leads.merge_lead(
                    actor=actor, lead_id=lead_id, case_id=request.POST.get("case_id"), now=now
                )
                return redirect(f"/disputes/cases/{case.pk}/")
            if action == "dismiss":
                lead = leads.dismiss_lead(
                    actor=actor, lead_id=lead_id, reason=request.POST.get("reason"), now=now
                )
                return redirect(f"/disputes/?group={lead.group_id}")
            raise NotFound(_("页面不存在。"))
    except NotFound:
        return _not_found(request)
    except DomainError as exc:
        ctx = _board_context(request, request.POST.get("group_id"))
        ctx |= {"errors": _errors(exc), "error_lead": lead_id}
        return render(request, "disputes/board.html", ctx, status=exc.status)


# ---------------------------------------------------------------- cases


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    """Cases the person may see, with filters; overdue ones highlighted."""
    actor, now = actor_for(request.user), timezone.now()
    params = {k: request.GET.get(k) or None for k in ("stage", "type", "q")}
    try:
        qs = cases.list_cases(
            actor=actor, overdue=request.GET.get("overdue") == "1", now=now, **params
        )
        items = [cases.case_summary(c, now) for c in qs[:200]]
        errors: dict[str, str] = {}
    except DomainError as exc:
        items, errors = [], _errors(exc)
    return render(
        request,
        "disputes/case_list.html",
        {
            "items": items,
            "params": request.GET,
            "errors": errors,
            "stages": _choices(Stage),
            "types": _choices(DisputeType),
        },
    )


def _case_context(request: HttpRequest, case_id: int) -> dict[str, Any]:
    actor = actor_for(request.user)
    detail = cases.case_detail(actor=actor, case_id=case_id, now=timezone.now(), request=request)
    case = access.get_case(actor=actor, case_id=case_id)
    return {
        "case": detail,
        "duplicates": duplicates.duplicates_of_case(actor=actor, case=case, limit=3)
        if detail["may_manage"] and detail["stage"] not in (Stage.CLOSED, Stage.REFERRED)
        else [],
        "entry_kinds": _choices(EntryKind, USER_ENTRY_KINDS),
        "roles": _choices(ParticipantRole),
        "party_roles": _choices(PartyRole),
        "referrals": _choices(Referral),
        "stage_labels": dict(_choices(Stage)),
        "risk_reasons": risk.explain(detail["risk_reasons"]),
        "today": timezone.localdate(),
    }


@login_required
def case_page(request: HttpRequest, case_id: int) -> HttpResponse:
    """The case page: parties, participants, stage actions, timeline, agreement."""
    try:
        with transaction.atomic():
            ctx = _case_context(request, case_id)
    except NotFound:
        return _not_found(request)
    return render(request, "disputes/case.html", ctx)


@login_required
def case_timeline(request: HttpRequest, case_id: int) -> HttpResponse:
    """The timeline fragment (htmx), refetched when the case changes."""
    try:
        with transaction.atomic():
            items = cases.read_timeline(
                actor=actor_for(request.user), case_id=case_id, request=request
            )
    except NotFound:
        return _not_found(request)
    return render(request, "disputes/_timeline.html", {"timeline": items})


def _case_post(request: HttpRequest, case_id: int, action: str) -> None:
    actor, now, p = actor_for(request.user), timezone.now(), request.POST
    if action == "transition":
        workflow.transition(
            actor=actor,
            case_id=case_id,
            to=p.get("to"),
            reason=p.get("reason"),
            referral_to=p.get("referral_to"),
            now=now,
        )
    elif action == "entry":
        workflow.add_entry(
            actor=actor,
            case_id=case_id,
            kind=p.get("kind"),
            text=p.get("text"),
            happened_at=_when(p.get("happened_at")),
            attachments=_uploads(request, "attachments"),
            now=now,
        )
    elif action == "participant":
        workflow.add_participant(
            actor=actor, case_id=case_id, username=p.get("username"), role=p.get("role"), now=now
        )
    elif action == "party":
        workflow.add_party(actor=actor, case_id=case_id, party=dict(p.items()), now=now)
    elif action == "session":
        agreements.record_session(
            actor=actor,
            case_id=case_id,
            held_at=_when(p.get("held_at")) or now,
            place=p.get("place"),
            summary=p.get("summary"),
            agreed=p.get("agreed") == "on",
            attendee_ids=[int(x) for x in p.getlist("attendee_ids") if x.isdigit()],
            now=now,
        )
    elif action == "agreement":
        agreements.draft_agreement(
            actor=actor,
            case_id=case_id,
            facts=p.get("facts"),
            terms=p.get("terms", ""),
            performance=p.get("performance"),
            mediation_body=p.get("mediation_body"),
            signed_on=parse_date(p.get("signed_on") or "") or None,
            now=now,
        )
    elif action == "merge":
        workflow.merge_case(actor=actor, case_id=case_id, into_id=int(p.get("into") or 0), now=now)
    else:
        raise NotFound(_("页面不存在。"))


@login_required
@require_POST
def case_action(request: HttpRequest, case_id: int, action: str) -> HttpResponse:
    """Every form on the case page posts here; errors come back next to their field."""
    try:
        with transaction.atomic():
            _case_post(request, case_id, action)
    except NotFound:
        return _not_found(request)
    except DomainError as exc:
        try:
            ctx = _case_context(request, case_id)
        except NotFound:
            return _not_found(request)
        ctx |= {"errors": _errors(exc), "error_form": action, "form": request.POST}
        return render(request, "disputes/case.html", ctx, status=exc.status)
    return redirect(f"/disputes/cases/{case_id}/#{action}")


@login_required
def agreement_file(request: HttpRequest, case_id: int, fmt: str) -> HttpResponse:
    """Download the agreement (same rules as the API)."""
    if fmt not in ("docx", "pdf"):
        return _not_found(request)
    try:
        with transaction.atomic():
            data, name, kind = agreements.get_agreement_file(
                actor=actor_for(request.user), case_id=case_id, fmt=fmt, request=request
            )
    except DomainError as exc:
        # "案件不存在" for a case one may not see reads the same as for one that does not exist.
        return render(request, "disputes/message.html", {"message": exc.msg}, status=exc.status)
    response = HttpResponse(data, content_type=kind)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def from_incident(request: HttpRequest, incident_id: int) -> HttpResponse:
    """Turn a 纠纷 incident into a case (the duty officer's action; the incident stays linked)."""
    actor = actor_for(request.user)
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        try:
            with transaction.atomic():
                case = cases.create_case_from_incident(
                    actor=actor,
                    incident_id=incident_id,
                    type=request.POST.get("type") or None,
                    risk=request.POST.get("risk") or "low",
                    description=request.POST.get("description") or None,
                    now=timezone.now(),
                )
            return redirect(f"/disputes/cases/{case.pk}/")
        except NotFound:
            return _not_found(request)
        except DomainError as exc:
            errors, status = _errors(exc), exc.status
    try:
        info = incident_link.incident_for_case(actor=actor, incident_id=incident_id)
    except NotFound:
        return _not_found(request)
    except DomainError as exc:
        return render(request, "disputes/message.html", {"message": exc.msg}, status=exc.status)
    return render(
        request,
        "disputes/from_incident.html",
        {
            "incident": info,
            "errors": errors,
            "types": _choices(DisputeType),
            "risks": _choices(Risk),
            "form": request.POST,
        },
        status=status,
    )


# ---------------------------------------------------------------- meetings


@login_required
@require_http_methods(["GET", "POST"])
def meeting_list(request: HttpRequest) -> HttpResponse:
    """Meetings the person may see; those who run a workstation schedule new ones here."""
    actor = actor_for(request.user)
    ctx: dict[str, Any] = {"errors": {}, "form": {}}
    status = 200
    if request.method == "POST":
        try:
            with transaction.atomic():
                m = meetings.create_meeting(
                    actor=actor,
                    title=request.POST.get("title"),
                    scheduled_at=_when(request.POST.get("scheduled_at")) or timezone.now(),
                    place=request.POST.get("place"),
                    attendees=[u for u in request.POST.get("attendees", "").split() if u],
                    now=timezone.now(),
                )
            return redirect(f"/disputes/meetings/{m.pk}/")
        except DomainError as exc:
            ctx = {"errors": _errors(exc), "form": request.POST}
            status = exc.status
    ctx["meetings"] = list(meetings.list_meetings(actor=actor)[:100])
    return render(request, "disputes/meeting_list.html", ctx, status=status)


def _meeting_post(request: HttpRequest, meeting_id: int, action: str) -> None:
    actor, now, p = actor_for(request.user), timezone.now(), request.POST
    if action == "minutes":
        meetings.record_minutes(
            actor=actor,
            meeting_id=meeting_id,
            minutes=p.get("minutes"),
            present=p.getlist("present") or None,
            now=now,
        )
    elif action == "task":
        due = parse_date(p.get("due_on") or "")
        meetings.add_task(
            actor=actor,
            meeting_id=meeting_id,
            text=p.get("text"),
            owner=p.get("owner"),
            due_on=due or date.max,
            case_id=p.get("case_id"),
            now=now,
        )
    elif action == "agenda":
        meeting = meetings.runnable_meeting(actor=actor, meeting_id=meeting_id)
        ids = [int(x) for x in p.get("case_ids", "").replace(",", " ").split() if x.isdigit()]
        meetings.add_agenda(actor=actor, meeting=meeting, case_ids=ids, note=p.get("note", ""))
    elif action.startswith("done-"):
        meetings.complete_task(actor=actor, task_id=int(action[5:]), note=p.get("note"), now=now)
    else:
        raise NotFound(_("页面不存在。"))


@login_required
@require_http_methods(["GET", "POST"])
def meeting_page(request: HttpRequest, meeting_id: int, action: str = "") -> HttpResponse:
    """A joint meeting: attendees, agenda, minutes, decisions tracked to done."""
    actor = actor_for(request.user)
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        try:
            with transaction.atomic():
                _meeting_post(request, meeting_id, action)
            return redirect(f"/disputes/meetings/{meeting_id}/")
        except NotFound:
            return _not_found(request)
        except DomainError as exc:
            errors, status = _errors(exc), exc.status
    try:
        detail = meetings.meeting_detail(actor=actor, meeting_id=meeting_id)
    except NotFound:
        return _not_found(request)
    return render(
        request,
        "disputes/meeting.html",
        {"m": detail, "errors": errors, "form": request.POST, "today": timezone.localdate()},
        status=status,
    )


# ---------------------------------------------------------------- early warning and figures


@login_required
def risk_page(request: HttpRequest) -> HttpResponse:
    """Rising-risk cases for the commander, and the rules behind the scores."""
    actor = actor_for(request.user)
    return render(
        request,
        "disputes/risk.html",
        {
            "items": risk.rising_cases(actor=actor, now=timezone.now()),
            "rules": risk.RULES,
            "levels": [(f, str(Risk(level).label)) for f, level in risk.LEVEL_FLOORS],
        },
    )


@login_required
def figures_page(request: HttpRequest) -> HttpResponse:
    """Figures over the visible cases, with CSV and Excel downloads."""
    return render(
        request,
        "disputes/figures.html",
        {"f": figures.figures(actor=actor_for(request.user), now=timezone.now())},
    )

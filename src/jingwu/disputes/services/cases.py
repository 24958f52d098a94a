"""Use cases for dispute cases: register (directly or from an incident), list, read.

Every function is called inside the edge's transaction. Every write is audited in that
transaction; events go out after commit (``jingwu.events``) and carry ids and stages only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from jingwu.audit import services as audit
from jingwu.disputes.models import (
    OPEN_STAGES,
    TRANSITIONS,
    Attachment,
    Case,
    DisputeType,
    EntryKind,
    LeadSource,
    Participant,
    ParticipantRole,
    Risk,
    Stage,
)
from jingwu.disputes.services import access
from jingwu.disputes.services.common import (
    COMPONENT,
    add_entry_row,
    audit_case,
    clean_choice,
    clean_text,
    due_for,
    org_of,
    publish_case,
    rescore,
    stamp,
)
from jingwu.disputes.services.parties import PartyIn, clean_parties, save_parties
from jingwu.disputes.services.text import normalize_address, tokenize
from jingwu.errors import Conflict, NotFound
from jingwu.orgs.services import Actor


@dataclass(frozen=True)
class NewCase:
    """Validated input for a new case."""

    type: str
    title: str
    description: str
    address: str
    risk: str
    source: str
    parties: list[PartyIn]


def clean_new_case(
    *,
    type: Any,
    description: Any,
    address: Any = "",
    risk: Any = Risk.LOW,
    parties: Any = None,
    title: Any = "",
    source: Any = LeadSource.GRID_PATROL,
) -> NewCase:
    """Validate the fields of a new case (everything but the point)."""
    kind = clean_choice(type, DisputeType, "type", _("未知的纠纷类型：%(v)s"))
    desc = clean_text(description, "description")
    level = clean_choice(risk or Risk.LOW, Risk, "risk", _("未知的风险等级：%(v)s"))
    src = clean_choice(
        source or LeadSource.GRID_PATROL, LeadSource, "source", _("未知的来源：%(v)s")
    )
    heading = clean_text(title, "title", required=False, max_len=80) or title_from(desc)
    return NewCase(
        kind,
        heading,
        desc,
        clean_text(address, "address", required=False, max_len=200),
        level,
        src,
        clean_parties(parties),
    )


def title_from(text: str) -> str:
    first = text.replace("\n", " ").split("。")[0].strip()
    return first[:30] + ("…" if len(first) > 30 else "")


def create_case_record(
    *,
    actor: Actor,
    data: NewCase,
    place: dict[str, Any],
    now: datetime,
    incident_id: int | None = None,
    first_110_at: datetime | None = None,
    lead_mediator: bool = True,
) -> Case:
    """Insert a validated case at a resolved place, its parties and its first entries."""
    case = Case.objects.create(
        title=data.title,
        type=data.type,
        description=data.description,
        address=data.address,
        address_key=normalize_address(data.address),
        source=data.source,
        stage=Stage.REGISTERED,
        stage_entered_at=now,
        due_at=due_for(Stage.REGISTERED, now),
        risk=data.risk,
        risk_declared=data.risk,
        incident_id=incident_id,
        first_110_at=first_110_at,
        tokens=" ".join(tokenize(f"{data.title} {data.description} {data.address}")),
        created_by_id=actor.person_id,
        created_at=now,
        updated_at=stamp(),
        **place,
    )
    save_parties(data.parties, case=case)
    if lead_mediator and actor.person_id is not None:
        Participant.objects.create(
            case=case,
            person_id=actor.person_id,
            organization_id=org_of(actor),
            role=ParticipantRole.LEAD_MEDIATOR,
            added_at=now,
        )
    add_entry_row(
        case,
        kind=EntryKind.STAGE,
        text="",
        actor=actor,
        now=now,
        data={"from": None, "to": Stage.REGISTERED},
    )
    audit_case("create", actor, case)
    return case


def create_case(
    *,
    actor: Actor,
    type: Any,
    description: Any,
    lat: Any,
    lon: Any,
    address: Any = "",
    risk: Any = Risk.LOW,
    parties: Any = None,
    title: Any = "",
    source: Any = LeadSource.GRID_PATROL,
    crs: str = "wgs84",
    now: datetime,
) -> Case:
    """Register a case; its jurisdiction is resolved from the point; the author mediates it."""
    data = clean_new_case(
        type=type,
        description=description,
        address=address,
        risk=risk,
        parties=parties,
        title=title,
        source=source,
    )
    place = access.jurisdiction_of(actor=actor, lat=lat, lon=lon, crs=crs)
    first_110 = now if data.source == LeadSource.INCIDENT_110 else None
    case = create_case_record(actor=actor, data=data, place=place, now=now, first_110_at=first_110)
    rescore(case, now)
    publish_case(case, "dispute.case_created", actor=actor)
    return case


def create_case_from_incident(
    *,
    actor: Actor,
    incident_id: int,
    type: Any = None,
    description: Any = None,
    risk: Any = Risk.LOW,
    parties: Any = None,
    now: datetime,
) -> Case:
    """Turn a 纠纷 incident into a case that stays linked to it (one case per incident).

    The incident supplies the point, address, text, the caller as a party when none is given,
    and its call time: the case counts as reported to 110 from then. Only police who may act
    on the incident may do it; an incident they may not see is not found.
    """
    from jingwu.disputes.services import incident_link

    info = incident_link.incident_for_case(actor=actor, incident_id=incident_id)
    if parties is None and info.caller_name:
        parties = [{"name": info.caller_name, "phone": info.caller_phone, "role": "applicant"}]
    from jingwu.disputes.services.leads import guess_type

    data = clean_new_case(
        type=type or guess_type(f"{info.text} {info.address}") or DisputeType.OTHER,
        description=description or info.text,
        address=info.address,
        risk=risk,
        parties=parties,
        source=LeadSource.INCIDENT_110,
    )
    place = access.jurisdiction_of(actor=actor, lat=info.lat, lon=info.lon)
    try:
        with transaction.atomic():  # a savepoint: the unique constraint settles a race
            case = create_case_record(
                actor=actor,
                data=data,
                place=place,
                now=now,
                incident_id=info.id,
                first_110_at=info.called_at,
            )
    except IntegrityError:
        raise Conflict(_("该警情已转为纠纷案件。"), loc=["incident_id"]) from None
    add_entry_row(
        case,
        kind=EntryKind.NOTE,
        actor=actor,
        now=now,
        happened_at=info.called_at,
        text=_("由 110 警情 %(n)s 转为纠纷案件。") % {"n": info.number},
        data={"incident": info.id},
    )
    rescore(case, now)
    publish_case(case, "dispute.case_created", actor=actor)
    return case


# ---------------------------------------------------------------- read


def list_cases(
    *,
    actor: Actor,
    stage: str | None = None,
    type: str | None = None,
    q: str | None = None,
    overdue: bool | None = None,
    workstation_id: int | None = None,
    now: datetime,
) -> QuerySet[Case]:
    """The cases the actor may see, filtered; search looks in title, description and address."""
    qs = access.visible_cases(actor)
    if stage:
        qs = qs.filter(stage=clean_choice(stage, Stage, "stage", _("未知的阶段：%(v)s")))
    if type:
        qs = qs.filter(type=clean_choice(type, DisputeType, "type", _("未知的纠纷类型：%(v)s")))
    if q:
        from django.db.models import Q

        qs = qs.filter(
            Q(title__icontains=q) | Q(description__icontains=q) | Q(address__icontains=q)
        )
    if overdue:
        qs = qs.filter(due_at__lt=now, stage__in=OPEN_STAGES)
    if workstation_id:
        qs = qs.filter(workstation_org_id=workstation_id)
    return qs.select_related("workstation_org", "station_org").order_by("-id")


def is_overdue(case: Case, now: datetime) -> bool:
    """True when the case has outstayed its stage's deadline."""
    return case.stage in OPEN_STAGES and case.due_at is not None and case.due_at < now


def case_summary(case: Case, now: datetime) -> dict[str, Any]:
    """A case in a list: no personal data (no parties, no address, no description)."""
    return {
        "id": case.pk,
        "number": case.number,
        "title": case.title,
        "type": case.type,
        "type_label": case.get_type_display(),
        "stage": case.stage,
        "stage_label": case.get_stage_display(),
        "risk": case.risk,
        "risk_label": case.get_risk_display(),
        "workstation": case.workstation_org.name if case.workstation_org_id else "",
        "created_at": case.created_at,
        "due_at": case.due_at,
        "overdue": is_overdue(case, now),
    }


def case_detail(
    *, actor: Actor, case_id: int, now: datetime, request: Any = None
) -> dict[str, Any]:
    """Everything a participant sees of one case; the read of its personal data is audited."""
    from jingwu.disputes.services.parties import party_view

    case = access.get_case(actor=actor, case_id=case_id)
    police = access.is_police_of(actor, case)
    role = access.participant_role(actor, case)
    out = case_summary(case, now) | {
        "description": case.description,
        "address": case.address,
        "lat": case.lat,
        "lon": case.lon,
        "source": case.source,
        "source_label": case.get_source_display(),
        "incident_id": case.incident_id,
        "station": case.station_org.name if case.station_org_id else "",
        "police_room": _name(case.room_org_id),
        "risk_score": case.risk_score if police else None,
        "risk_reasons": case.risk_reasons if police else [],
        "stage_entered_at": case.stage_entered_at,
        "settled_at": case.settled_at,
        "outcome_reason": case.outcome_reason,
        "referral_to": case.referral_to,
        "merged_into": case.merged_into_id
        if case.merged_into_id
        and access.visible_cases(actor).filter(pk=case.merged_into_id).exists()
        else None,
        "parties": [party_view(actor, p) for p in case.parties.all()],
        "participants": [
            {
                "id": p.pk,
                "name": p.person.name,
                "username": p.person.user.username if p.person.user_id else "",
                "organization": p.organization.name if p.organization_id else p.affiliation,
                "role": p.role,
                "role_label": p.get_role_display(),
            }
            for p in case.participants.select_related("person__user", "organization")
        ],
        "timeline": timeline(case),
        "next_stages": sorted(TRANSITIONS[case.stage]),
        "my_role": role,
        "may_manage": police or role in ("lead_mediator", "co_mediator"),
        "may_write": police or role in ("lead_mediator", "co_mediator", "expert"),
        "agreements": [
            {
                "version": a.version,
                "docx_sha256": a.docx_sha256,
                "pdf_sha256": a.pdf_sha256,
                "created_at": a.created_at,
            }
            for a in case.agreements.order_by("-version")
        ],
    }
    audit_case("read", actor, case, detail="parties,timeline", request=request)
    return out


def _name(org_id: int | None) -> str:
    from jingwu.orgs.models import Organization

    if org_id is None:
        return ""
    return Organization.objects.filter(pk=org_id).values_list("name", flat=True).first() or ""


def _stage_label(code: str | None) -> str:
    return str(Stage(code).label) if code in Stage.values else ""


def timeline(case: Case) -> list[dict[str, Any]]:
    """The case's entries, oldest first, with their attachments' names and links."""
    entries = case.entries.select_related("author", "author_org").prefetch_related("attachments")
    return [
        {
            "id": e.pk,
            "kind": e.kind,
            "kind_label": e.get_kind_display(),
            "text": e.text,
            "data": e.data,
            "stage_from": _stage_label(e.data.get("from")) if e.kind == EntryKind.STAGE else "",
            "stage_to": _stage_label(e.data.get("to")) if e.kind == EntryKind.STAGE else "",
            "author": e.author.name if e.author_id else "",
            "organization": e.author_org.name if e.author_org_id else "",
            "happened_at": e.happened_at,
            "attachments": [
                {
                    "id": a.pk,
                    "name": a.name,
                    "size": a.size,
                    "sha256": a.sha256,
                    "url": f"/api/v1/disputes/attachments/{a.pk}",
                }
                for a in e.attachments.all()
            ],
        }
        for e in entries
    ]


def read_timeline(*, actor: Actor, case_id: int, request: Any = None) -> list[dict[str, Any]]:
    """The timeline of a case the actor may see; the read is audited (entries may name people)."""
    case = access.get_case(actor=actor, case_id=case_id)
    audit_case("read", actor, case, detail="timeline", request=request)
    return timeline(case)


def get_attachment(*, actor: Actor, attachment_id: int, request: Any = None) -> Attachment:
    """An attachment of a case or lead the actor may see, else NotFound; the read is audited."""
    from jingwu.disputes.services.access import visible_leads

    att = Attachment.objects.filter(pk=attachment_id).first()
    ok = att is not None and (
        (att.entry_id and access.visible_cases(actor).filter(entries__id=att.entry_id).exists())
        or (att.lead_id and visible_leads(actor).filter(pk=att.lead_id).exists())
    )
    if not ok or att is None:
        raise NotFound(_("附件不存在。"))
    audit.record(
        action="read",
        component=COMPONENT,
        user=actor.user,
        object_type="dispute_attachment",
        object_id=att.pk,
        request=request,
    )
    return att

"""Use cases for directors' groups and their leads: post, list, promote, merge, dismiss.

A lead is posted by a member of a workstation's 双解主任群 and appears live on the group's
board: the event goes to the organizations of every member and to the workstation and its
ancestors (station, branch), so commanders see it too. Events carry ids only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Case as DbCase
from django.db.models import QuerySet, Value, When
from django.utils.translation import gettext as _

from jingwu import events
from jingwu.audit import services as audit
from jingwu.disputes.models import (
    OPEN_STAGES,
    Case,
    DirectorsGroup,
    DisputeType,
    EntryKind,
    GroupMember,
    Lead,
    LeadSource,
    LeadStatus,
    Participant,
    ParticipantRole,
    Party,
    Risk,
)
from jingwu.disputes.services import access
from jingwu.disputes.services.cases import NewCase, create_case_record, title_from
from jingwu.disputes.services.common import (
    COMPONENT,
    Upload,
    add_entry_row,
    check_uploads,
    clean_choice,
    clean_text,
    publish_case,
    stamp,
    store_uploads,
    touch,
)
from jingwu.disputes.services.parties import PartyIn, clean_parties, party_view, save_parties
from jingwu.disputes.services.text import normalize_address, tokenize
from jingwu.errors import Conflict, Forbidden, Invalid, NotFound
from jingwu.orgs.models import Organization
from jingwu.orgs.services import Actor

#: Words that suggest a dispute type when a lead is promoted without one.
TYPE_HINTS: list[tuple[str, tuple[str, ...]]] = [
    (DisputeType.MEDICAL, ("医院", "医疗", "医生", "手术", "医患", "护士")),
    (DisputeType.CAMPUS, ("学校", "学生", "老师", "校园", "班主任", "同学")),
    (DisputeType.LABOUR, ("工资", "欠薪", "讨薪", "工地", "包工头", "劳务", "工钱")),
    (DisputeType.FAMILY, ("离婚", "夫妻", "婆媳", "赡养", "抚养", "家暴", "遗产")),
    (DisputeType.LAND, ("山林", "林地", "宅基地", "土地", "承包地", "界址")),
    (DisputeType.CONSUMER, ("退款", "商家", "消费", "商场", "顾客", "退货", "质量问题")),
    (DisputeType.PROPERTY, ("物业", "物业费", "业委会", "停车位", "电梯")),
    (DisputeType.NEIGHBOUR, ("邻居", "楼上", "楼下", "漏水", "噪音", "装修", "邻里")),
]


def guess_type(text: str) -> str:
    """The dispute type whose hint words appear most in the text (其他 when none does)."""
    best, hits = DisputeType.OTHER, 0
    for kind, words in TYPE_HINTS:
        n = sum(text.count(w) for w in words)
        if n > hits:
            best, hits = kind, n
    return best


def groups_of(actor: Actor) -> QuerySet[DirectorsGroup]:
    """The directors' groups the actor is a member of, or whose workstation they police."""
    from django.db.models import Q

    police = access.police_org_ids(actor)
    below_or_at = {oid for p in police for oid in actor.lineage.get(p, (p,))}
    q = Q(members__person_id=actor.person_id) if actor.person_id else Q(pk__in=[])
    if police:
        q |= Q(workstation_id__in=below_or_at) | Q(workstation__parent_id__in=police)
        q |= Q(workstation__parent__parent_id__in=police)
    return DirectorsGroup.objects.filter(q).distinct().select_related("workstation")


def get_group(*, actor: Actor, group_id: int) -> DirectorsGroup:
    """One group the actor belongs to or polices, else NotFound."""
    group = groups_of(actor).filter(pk=group_id).first()
    if group is None:
        raise NotFound(_("双解主任群不存在。"))
    return group


def board_audiences(group: DirectorsGroup) -> list[str]:
    """Every member's organization, and the workstation with its ancestors."""
    orgs = set(group.members.values_list("organization_id", flat=True))
    parents = dict(Organization.objects.values_list("id", "parent_id"))
    org: int | None = group.workstation_id
    while org is not None and org not in orgs:
        orgs.add(org)
        org = parents.get(org)
    return [f"org:{o}" for o in sorted(orgs)]


def _membership(actor: Actor, group_id: Any) -> GroupMember:
    mine = GroupMember.objects.filter(person_id=actor.person_id).select_related("group")
    if actor.person_id is None or not mine.exists():
        raise Forbidden(_("您不在任何双解主任群中，不能报送线索。"))
    if group_id in (None, ""):
        if mine.count() > 1:
            raise Invalid(_("您在多个群中，请选择要报送的群。"), loc=["group_id"])
        return mine.get()
    member = mine.filter(group_id=group_id).first()
    if member is None:
        raise NotFound(_("双解主任群不存在。"), loc=["group_id"])
    return member


def create_lead(
    *,
    actor: Actor,
    text: Any,
    lat: Any,
    lon: Any,
    address: Any = "",
    source: Any,
    parties: Any = None,
    photos: list[Upload] | None = None,
    group_id: Any = None,
    crs: str = "wgs84",
    now: datetime,
) -> Lead:
    """Post a lead to the actor's directors' group; the board of every member updates live."""
    body = clean_text(text, "text")
    src = clean_choice(source, LeadSource, "source", _("未知的线索来源：%(v)s"))
    where = clean_text(address, "address", required=False, max_len=200)
    people: list[PartyIn] = clean_parties(parties)
    files = check_uploads(photos or [], "photos")
    member = _membership(actor, group_id)
    place = access.jurisdiction_of(actor=actor, lat=lat, lon=lon, crs=crs)
    lead = Lead.objects.create(
        group=member.group,
        text=body,
        address=where,
        address_key=normalize_address(where),
        source=src,
        reporter_id=actor.person_id,
        reporter_org_id=member.organization_id,
        tokens=" ".join(tokenize(f"{body} {where}")),
        created_at=now,
        updated_at=stamp(),
        **place,
    )
    save_parties(people, lead=lead)
    store_uploads(files, actor=actor, now=now, lead=lead)
    _audit("create", actor, lead)
    events.publish(
        "dispute.lead_created",
        audiences=board_audiences(member.group) + access.audiences_for(lead),
        id=lead.pk,
        group=member.group_id,
        status=lead.status,
    )
    return lead


def list_leads(
    *, actor: Actor, status: str | None = None, group_id: int | None = None
) -> QuerySet[Lead]:
    """Leads the actor may see (their groups' and their jurisdiction's), newest first."""
    qs = access.visible_leads(actor)
    if status:
        qs = qs.filter(status=clean_choice(status, LeadStatus, "status", _("未知的状态：%(v)s")))
    if group_id:
        qs = qs.filter(group_id=group_id)
    open_first = DbCase(When(status=LeadStatus.OPEN, then=Value(0)), default=Value(1))
    return qs.select_related("reporter", "reporter_org", "group").order_by(open_first, "-id")


def lead_view(
    actor: Actor, lead: Lead, *, visible_case_ids: set[int] | None = None
) -> dict[str, Any]:
    """A lead as shown on the board; the case it became is linked only if the actor sees it."""
    case_id = lead.case_id
    if case_id is not None:
        seen = (
            visible_case_ids
            if visible_case_ids is not None
            else set(access.visible_cases(actor).filter(pk=case_id).values_list("pk", flat=True))
        )
        case_id = case_id if case_id in seen else None
    return {
        "id": lead.pk,
        "group_id": lead.group_id,
        "text": lead.text,
        "address": lead.address,
        "lat": lead.lat,
        "lon": lead.lon,
        "source": lead.source,
        "source_label": lead.get_source_display(),
        "status": lead.status,
        "status_label": lead.get_status_display(),
        "reporter": lead.reporter.name,
        "reporter_org": lead.reporter_org.name,
        "case_id": case_id,
        "dismiss_reason": lead.dismiss_reason,
        "created_at": lead.created_at,
        "photos": [
            {"id": a.pk, "name": a.name, "url": f"/api/v1/disputes/attachments/{a.pk}"}
            for a in lead.attachments.all()
        ],
    }


def get_lead_detail(*, actor: Actor, lead_id: int, request: Any = None) -> dict[str, Any]:
    """A lead with its parties (masked for non-police roles) and likely duplicates; audited."""
    from jingwu.disputes.services.duplicates import duplicates_of_lead

    lead = access.get_lead(actor=actor, lead_id=lead_id)
    out = lead_view(actor, lead) | {
        "parties": [party_view(actor, p) for p in lead.parties.all()],
        "may_decide": may_decide(actor, lead) and lead.status == LeadStatus.OPEN,
        "duplicates": duplicates_of_lead(actor=actor, lead=lead)
        if lead.status == LeadStatus.OPEN
        else [],
    }
    audit.record(
        action="read",
        component=COMPONENT,
        user=actor.user,
        organization_id=actor.primary_organization_id,
        object_type="dispute_lead",
        object_id=lead.pk,
        detail="parties",
        request=request,
    )
    return out


def may_decide(actor: Actor, lead: Lead) -> bool:
    """The group's lead member and the police of the lead's place decide what becomes of it."""
    if access.is_police_of(actor, lead) or lead.group.workstation_id in access.police_org_ids(
        actor
    ):
        return True
    return GroupMember.objects.filter(
        group_id=lead.group_id, person_id=actor.person_id, is_lead=True
    ).exists()


def _decide(actor: Actor, lead_id: int, status: str, now: datetime, **values: Any) -> Lead:
    lead = access.get_lead(actor=actor, lead_id=lead_id)
    if not may_decide(actor, lead):
        raise Forbidden(_("只有群牵头人或辖区民警可以处理线索。"))
    done = Lead.objects.filter(pk=lead.pk, status=LeadStatus.OPEN).update(
        status=status, decided_by_id=actor.person_id, decided_at=now, updated_at=stamp(), **values
    )
    if done != 1:
        raise Conflict(_("该线索已被处理。"))
    lead.refresh_from_db()
    return lead


def promote_lead(
    *,
    actor: Actor,
    lead_id: int,
    type: Any = None,
    risk: Any = Risk.LOW,
    title: Any = "",
    now: datetime,
) -> Case:
    """Turn a lead into a case at the lead's place. The promoter mediates it; the reporter
    joins as co-mediator so that the one who raised it follows it to the end."""
    lead = access.get_lead(actor=actor, lead_id=lead_id)
    kind = clean_choice(
        type or guess_type(lead.text), DisputeType, "type", _("未知的纠纷类型：%(v)s")
    )
    level = clean_choice(risk or Risk.LOW, Risk, "risk", _("未知的风险等级：%(v)s"))
    heading = clean_text(title, "title", required=False, max_len=80)
    lead = _decide(actor, lead_id, LeadStatus.PROMOTED, now)
    parties = [
        PartyIn(p.name, p.kind, p.role, p.id_number, p.phone, p.address) for p in lead.parties.all()
    ]
    data = NewCase(
        kind, heading or title_from(lead.text), lead.text, lead.address, level, lead.source, parties
    )
    place = {f: getattr(lead, f) for f in _PLACE_FIELDS}
    first_110 = lead.created_at if lead.source == LeadSource.INCIDENT_110 else None
    case = create_case_record(
        actor=actor,
        data=data,
        place=place,
        now=now,
        incident_id=lead.incident_id,
        first_110_at=first_110,
    )
    if lead.reporter_id != actor.person_id:
        Participant.objects.create(
            case=case,
            person_id=lead.reporter_id,
            organization_id=lead.reporter_org_id,
            role=ParticipantRole.CO_MEDIATOR,
            added_at=now,
        )
    entry = add_entry_row(
        case,
        kind=EntryKind.NOTE,
        actor=actor,
        now=now,
        happened_at=lead.created_at,
        text=_("由双解主任群线索转为案件（%(who)s 报送）。") % {"who": lead.reporter.name},
        data={"lead": lead.pk},
    )
    for a in lead.attachments.all():
        a.pk = None
        a.lead, a.entry = None, entry
        a.save()
    Lead.objects.filter(pk=lead.pk).update(case=case)
    _audit("update", actor, lead, detail=f"promoted to case {case.pk}")
    from jingwu.disputes.services import risk as risk_rules

    risk_rules.rescore_case(case=case, now=now)
    _publish_lead(lead, "dispute.lead_promoted")
    publish_case(case, "dispute.case_created", actor=actor)
    return case


_PLACE_FIELDS = [
    "lat",
    "lon",
    "branch_area_id",
    "station_area_id",
    "workstation_area_id",
    "room_area_id",
    "grid_area_id",
    "branch_org_id",
    "station_org_id",
    "workstation_org_id",
    "room_org_id",
    "grid_org_id",
]


def merge_lead(*, actor: Actor, lead_id: int, case_id: Any, now: datetime) -> Case:
    """Attach a lead to an existing open case (a duplicate); its parties join the case."""
    if case_id in (None, ""):
        raise Invalid(_("请选择要并入的案件。"), loc=["case_id"])
    try:
        target_id = int(case_id)
    except (TypeError, ValueError):
        raise Invalid(_("请输入整数。"), loc=["case_id"]) from None
    access.get_lead(actor=actor, lead_id=lead_id)
    case = access.get_case(actor=actor, case_id=target_id)
    if case.stage not in OPEN_STAGES:
        raise Conflict(_("已结束的案件不能并入线索。"), loc=["case_id"])
    lead = _decide(actor, lead_id, LeadStatus.MERGED, now, case=case)
    known = set(case.parties.values_list("name", "id_number"))
    for p in lead.parties.all():
        if (p.name, p.id_number) not in known:
            Party.objects.create(
                case=case,
                kind=p.kind,
                role=p.role,
                name=p.name,
                id_number=p.id_number,
                phone=p.phone,
                address=p.address,
            )
    add_entry_row(
        case,
        kind=EntryKind.MERGE,
        actor=actor,
        now=now,
        happened_at=lead.created_at,
        text=lead.text,
        data={"lead": lead.pk},
    )
    touch(case, now)
    _audit("update", actor, lead, detail=f"merged into case {case.pk}")
    from jingwu.disputes.services import risk as risk_rules

    risk_rules.rescore_case(case=case, now=now)
    _publish_lead(lead, "dispute.lead_merged")
    publish_case(case, "dispute.case_updated", actor=actor)
    return case


def dismiss_lead(*, actor: Actor, lead_id: int, reason: Any, now: datetime) -> Lead:
    """Close a lead that is not a dispute (or not ours), with the reason."""
    why = clean_text(reason, "reason", max_len=1000)
    lead = _decide(actor, lead_id, LeadStatus.DISMISSED, now, dismiss_reason=why)
    _audit("update", actor, lead, detail="dismissed")
    _publish_lead(lead, "dispute.lead_dismissed")
    return lead


def _publish_lead(lead: Lead, kind: str) -> None:
    events.publish(
        kind,
        audiences=board_audiences(lead.group) + access.audiences_for(lead),
        id=lead.pk,
        group=lead.group_id,
        status=lead.status,
    )


def _audit(action: str, actor: Actor, lead: Lead, detail: str = "") -> None:
    audit.record(
        action=action,
        component=COMPONENT,
        user=actor.user,
        organization_id=actor.primary_organization_id,
        object_type="dispute_lead",
        object_id=lead.pk,
        detail=detail,
    )

"""Shift handover (交接班): generated from the live data of a duty desk or post, signed, acknowledged.

Nothing open is lost between shifts: the outgoing officer does not type the open items, they
are read from the live data by the *sources* below (open incidents, disputes waiting on the
desk, units and their status, equipment, patrols with missed checkpoints) plus the open
tasks of the previous handover, which are carried over until someone closes them. An item
that was open last shift and is gone now is listed as closed during the shift.

Each source reads its rows with a fixed number of queries whatever the number of items, and
items are written with ``bulk_create``: a branch-wide handover of 50,000 open items is a few
queries, not 50,000 (see ``bench/handover.py``).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _
from shapely.geometry import Point, shape

from jingwu import events
from jingwu.audit import services as audit
from jingwu.engine.geo import haversine_m
from jingwu.errors import Conflict, Forbidden, Invalid, NotFound
from jingwu.jointcmd.models import (
    Equipment,
    Handover,
    HandoverItem,
    IncidentTask,
    ItemKind,
    JointArea,
    PatrolPlan,
    Post,
    TaskStatus,
)
from jingwu.jointcmd.services.access import descendants, scope_ids
from jingwu.jointcmd.services.areas import force_ids
from jingwu.jointcmd.services.rosters import LOCAL
from jingwu.orgs.models import POLICE_KINDS, Organization, OrgKind, Person
from jingwu.orgs.services import Actor

BATCH = 2000
#: A place post's handover covers incidents this close to it.
POST_RADIUS_M = 300.0


@dataclass(frozen=True)
class Draft:
    """An item before it is written: what it is, which object, its text and whether it is open."""

    kind: str
    ref: str
    label: str
    status: str = ""
    is_open: bool = True


@dataclass(frozen=True)
class Desk:
    """What a handover covers: the desk organization, the police units below it (whose live
    data it reads), the post, and the organizations whose people may hand over and take over."""

    organization: Organization
    org_ids: frozenset[int]
    post: Post | None
    now: datetime
    member_ids: frozenset[int] = frozenset()


#: A source reads the live data of a desk and returns its items.
Source = Callable[[Desk], list[Draft]]
SOURCES: list[Source] = []


def source(fn: Source) -> Source:
    """Register a source of handover items (apps above jointcmd may register theirs)."""
    SOURCES.append(fn)
    return fn


def _near_post(post: Post, lat: float, lon: float) -> bool:
    if post.geometry:
        return bool(shape(post.geometry).contains(Point(lon, lat)))
    return float(haversine_m(post.lat, post.lon, lat, lon)) <= POST_RADIUS_M


@source
def incident_items(desk: Desk) -> list[Draft]:
    """Open incidents queued at the desk (or its police rooms); for a post, those on the post."""
    from jingwu.incidents.models import OPEN_STATUSES, Incident, IncidentType, Priority, Status

    rows = (
        Incident.objects.filter(
            Q(organization_id__in=desk.org_ids) | Q(room_organization_id__in=desk.org_ids),
            status__in=OPEN_STATUSES,
        )
        .order_by("priority", "received_at", "id")
        .values_list("id", "type", "priority", "status", "address", "received_at", "lat", "lon")
    )
    types, statuses = dict(IncidentType.choices), dict(Status.choices)
    priorities = dict(Priority.choices)
    out = []
    for pk, kind, priority, status, address, received_at, lat, lon in rows.iterator(
        chunk_size=BATCH
    ):
        if desk.post is not None and not _near_post(desk.post, lat, lon):
            continue
        number = f"JQ{received_at.astimezone(LOCAL):%Y%m%d}-{pk:05d}"
        label = f"{number} {types.get(kind, kind)} {priority}"
        out.append(
            Draft(
                ItemKind.INCIDENT,
                str(pk),
                f"{label} {address}".strip(),
                f"{statuses.get(status, status)} · {priorities.get(priority, priority)}",
            )
        )
    return out


@source
def dispute_items(desk: Desk) -> list[Draft]:
    """Dispute cases still open at the desk's workstation or police rooms (overdue first)."""
    from jingwu.disputes.models import OPEN_STAGES, Case, Stage

    if desk.post is not None:
        return []
    rows = (
        Case.objects.filter(
            Q(workstation_org_id__in=desk.org_ids) | Q(room_org_id__in=desk.org_ids),
            stage__in=OPEN_STAGES,
            merged_into__isnull=True,
        )
        .order_by("due_at", "id")
        .values_list("id", "title", "stage", "due_at")
    )
    stages = dict(Stage.choices)
    out = []
    for pk, title, stage, due_at in rows:
        status = str(stages.get(stage, stage))
        if due_at is not None:
            overdue = due_at < desk.now
            status += " · " + (
                _("已超期")
                if overdue
                else _("期限 %(d)s") % {"d": due_at.astimezone(LOCAL).strftime("%m-%d")}
            )
        out.append(Draft(ItemKind.DISPUTE, str(pk), title, status))
    return out


@source
def unit_items(desk: Desk) -> list[Draft]:
    """The desk's patrol units and their status; those out on a call are open items."""
    from jingwu.units.models import Unit, UnitStatus

    busy = {UnitStatus.DISPATCHED, UnitStatus.EN_ROUTE, UnitStatus.ON_SCENE}
    rows = (
        Unit.objects.filter(
            Q(workstation_id__in=desk.org_ids) | Q(organization_id__in=desk.org_ids),
            is_active=True,
        )
        .order_by("tier_id", "code")
        .values_list("id", "code", "name", "status", "current_incident_id")
    )
    labels = dict(UnitStatus.choices)
    out = []
    for pk, code, name, status, incident_id in rows:
        label = f"{name}（{code}）"
        if incident_id and status in busy:
            label += _("，处置警情 %(id)s") % {"id": incident_id}
        out.append(
            Draft(ItemKind.UNIT, str(pk), label, str(labels.get(status, status)), status in busy)
        )
    return out


@source
def equipment_items(desk: Desk) -> list[Draft]:
    """The desk's equipment register (counted at every handover)."""
    rows = Equipment.objects.filter(organization_id=desk.organization.pk).order_by("id")
    return [
        Draft(
            ItemKind.EQUIPMENT,
            str(e.pk),
            f"{e.name} ×{e.quantity}" + (f"（{e.note}）" if e.note else ""),
            str(e.get_status_display()),
            is_open=e.status == Equipment.Status.FAULTY,
        )
        for e in rows
    ]


@source
def patrol_items(desk: Desk) -> list[Draft]:
    """Today's patrol plans of the desk that still have checkpoints to visit."""
    from jingwu.jointcmd.services import patrols

    plans = PatrolPlan.objects.filter(owner_id__in=desk.org_ids, is_active=True)
    if desk.post is not None:
        plans = plans.filter(beat=desk.post)
    out = []
    today = desk.now.astimezone(LOCAL).date()
    for plan in plans.prefetch_related("checkpoints"):
        for rep in patrols.day_report(plan=plan, day=today, now=desk.now):
            done = len({c.checkpoint_id for c in rep.checkins})
            total = len(plan.checkpoints.all())
            if rep.status == "done":
                continue
            out.append(
                Draft(
                    ItemKind.PATROL,
                    f"{plan.pk}@{rep.starts_at:%Y%m%d%H%M}",
                    f"{plan.name} {rep.starts_at.astimezone(LOCAL):%H:%M} "
                    + _("已签到 %(d)d/%(n)d") % {"d": done, "n": total},
                    patrols.status_label(rep.status),
                )
            )
    return out


@source
def joint_task_items(desk: Desk) -> list[Draft]:
    """Tasks the desk gave partner forces (or was given) that are not done yet."""
    if desk.post is not None:
        return []
    rows = (
        IncidentTask.objects.filter(
            Q(from_org_id__in=desk.org_ids) | Q(to_org_id__in=desk.org_ids),
            status__in=(TaskStatus.GIVEN, TaskStatus.ACCEPTED),
        )
        .order_by("given_at", "id")
        .values_list("id", "text", "status", "due_at", "to_org__name", "incident_id",
                     "incident__received_at")
    )  # fmt: skip
    labels = dict(TaskStatus.choices)
    out = []
    for pk, text, status, due_at, org, incident_id, received_at in rows:
        number = f"JQ{received_at.astimezone(LOCAL):%Y%m%d}-{incident_id:05d}"
        due = _("，期限 %(t)s") % {"t": f"{due_at.astimezone(LOCAL):%m-%d %H:%M}"} if due_at else ""
        out.append(
            Draft(
                ItemKind.JOINT_TASK,
                str(pk),
                f"{text} → {org}（{number}）",
                f"{labels.get(status, status)}{due}",
            )
        )
    return out


def police_below(org_id: int) -> frozenset[int]:
    """The police units at or below ``org_id`` (partners hanging under it excluded)."""
    below = descendants(org_id)
    return frozenset(
        Organization.objects.filter(pk__in=below, kind__in=POLICE_KINDS).values_list(
            "id", flat=True
        )
    )


def _desk(*, actor: Actor, desk_code: str | None, post_id: int | None, now: datetime) -> Desk:
    if post_id is not None:
        post = Post.objects.select_related("joint_area__lead").filter(pk=post_id).first()
        forces = force_ids(post.joint_area) if post is not None else frozenset()
        if post is None or scope_ids(actor).isdisjoint(forces):
            raise NotFound(_("岗位不存在。"))
        org = post.joint_area.lead
        return Desk(org, police_below(org.pk), post, now, forces)
    if not desk_code:
        raise Invalid(_("请指定值班台或岗位。"), loc=["desk"])
    org = Organization.objects.filter(code=desk_code).first()
    if org is None or org.pk not in scope_ids(actor):
        raise NotFound(_("值班台不存在。"))
    police = police_below(org.pk)
    return Desk(org, police, None, now, police)


def _previous(desk: Desk) -> Handover | None:
    return (
        Handover.objects.filter(organization=desk.organization, post=desk.post)
        .order_by("-signed_at", "-id")
        .first()
    )


def content_digest(notes: str, items: list[HandoverItem]) -> str:
    """SHA-256 of the notes and items as signed."""
    body = json.dumps(
        [notes, [(i.kind, i.ref, i.label, i.status, i.is_open) for i in items]],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def generate_items(desk: Desk, previous: Handover | None, tasks: list[str]) -> list[HandoverItem]:
    """The items of a new handover: live sources, carried tasks, items closed since last shift."""
    drafts = [d for src in SOURCES for d in src(desk)]
    carried: dict[tuple[str, str], HandoverItem] = {}
    if previous is not None:
        for item in HandoverItem.objects.filter(handover=previous, is_open=True).only(
            "id", "kind", "ref", "label", "status"
        ):
            carried[(item.kind, item.ref)] = item
    items: list[HandoverItem] = []
    live = set()
    for d in drafts:
        live.add((d.kind, d.ref))
        prev = carried.get((d.kind, d.ref))
        items.append(
            HandoverItem(
                kind=d.kind,
                ref=d.ref,
                label=d.label[:200],
                status=d.status[:64],
                is_open=d.is_open,
                carried_from_id=prev.pk if prev and d.is_open else None,
            )
        )
    for (kind, ref), prev in carried.items():
        if (kind, ref) in live:
            continue
        if kind == ItemKind.NOTE:
            # An open task stays open until someone closes it: carried as it was.
            items.append(
                HandoverItem(
                    kind=kind, ref=ref, label=prev.label, status=prev.status, carried_from=prev
                )
            )
        elif kind != ItemKind.EQUIPMENT:
            items.append(
                HandoverItem(
                    kind=kind,
                    ref=ref,
                    label=prev.label,
                    status=_("本班已办结"),
                    is_open=False,
                    carried_from=prev,
                )
            )
    for text in tasks:
        # A task's ref is its identity from shift to shift.
        ref = f"task-{secrets.token_hex(6)}"
        items.append(HandoverItem(kind=ItemKind.NOTE, ref=ref, label=text[:200], status=_("待办")))
    for n, item in enumerate(items):
        item.position = n
    return items


def create_handover(
    *,
    actor: Actor,
    now: datetime,
    desk_code: str | None = None,
    post_id: int | None = None,
    notes: str = "",
    tasks: list[str] | None = None,
    incoming_person_id: int | None = None,
) -> Handover:
    """Generate the handover of a desk or post from the live data and sign it as the caller.

    Call inside a transaction. The caller must belong to the desk (or a unit above it).
    """
    if actor.person_id is None:
        raise Forbidden(_("没有人员档案的账号不能交班。"))
    desk = _desk(actor=actor, desk_code=desk_code, post_id=post_id, now=now)
    tasks = [t.strip() for t in (tasks or []) if t and t.strip()]
    if len(notes) > 5000:
        raise Invalid(_("文本过长。"), loc=["notes"])
    incoming = None
    if incoming_person_id is not None:
        incoming = Person.objects.filter(
            pk=incoming_person_id, memberships__organization_id__in=desk.member_ids
        ).first()
        if incoming is None:
            raise Invalid(_("接班人不是该值班台的人员。"), loc=["incoming_person_id"])
    previous = _previous(desk)
    items = generate_items(desk, previous, tasks)
    handover = Handover.objects.create(
        organization=desk.organization,
        post=desk.post,
        previous=previous,
        shift_started_at=previous.signed_at if previous else None,
        signed_at=now,
        outgoing_id=actor.person_id,
        incoming=incoming,
        notes=notes.strip(),
        counts=item_counts(items),
        digest=content_digest(notes.strip(), items),
    )
    for item in items:
        item.handover = handover
    HandoverItem.objects.bulk_create(items, batch_size=BATCH)
    audit.record(
        action="create",
        component="jointcmd",
        user=actor.user,
        organization_id=desk.organization.pk,
        object_type="handover",
        object_id=handover.pk,
        detail=f"items={len(items)}",
    )
    events.publish(
        "handover.signed",
        audiences=[f"org:{desk.organization.pk}"],
        id=handover.pk,
        status="signed",
    )
    return handover


def item_counts(items: list[HandoverItem]) -> dict[str, int]:
    """Open items per kind, and how many are open, carried, and closed during the shift."""
    counts: dict[str, int] = {}
    for i in items:
        if i.is_open:
            counts[i.kind] = counts.get(i.kind, 0) + 1
    counts["open"] = sum(1 for i in items if i.is_open)
    counts["carried"] = sum(1 for i in items if i.carried_from_id and i.is_open)
    counts["closed"] = sum(1 for i in items if not i.is_open and i.kind != ItemKind.EQUIPMENT)
    return counts


def _visible(actor: Actor) -> Q:
    """Handovers of the actor's desks, and of the posts of joint areas the actor works in."""
    scope = scope_ids(actor)
    areas = JointArea.objects.filter(Q(lead_id__in=scope) | Q(partners__in=scope))
    return Q(organization_id__in=scope) | Q(post__joint_area__in=areas)


def get_handover(*, actor: Actor, handover_id: int) -> Handover:
    """One handover of a desk the actor belongs to (or commands), else NotFound."""
    h = (
        Handover.objects.filter(_visible(actor), pk=handover_id)
        .select_related("organization", "post", "outgoing", "incoming")
        .first()
    )
    if h is None:
        raise NotFound(_("交接班记录不存在。"))
    return h


def acknowledge(*, actor: Actor, handover: Handover, now: datetime) -> Handover:
    """The incoming officer takes over: once only (409 the second time). Call in a transaction."""
    if actor.person_id is None:
        raise Forbidden(_("没有人员档案的账号不能接班。"))
    if actor.person_id == handover.outgoing_id:
        raise Forbidden(_("交班人不能自己确认接班。"))
    if handover.incoming_id not in (None, actor.person_id):
        raise Forbidden(_("本次交接指定了其他接班人。"))
    # The conditional update settles a double click or two officers at once.
    updated = Handover.objects.filter(pk=handover.pk, acknowledged_at__isnull=True).update(
        acknowledged_at=now, incoming_id=actor.person_id
    )
    if updated != 1:
        raise Conflict(_("该交接班记录已确认接班，不能重复确认。"))
    audit.record(
        action="update",
        component="jointcmd",
        user=actor.user,
        organization_id=handover.organization_id,
        object_type="handover",
        object_id=handover.pk,
        detail="acknowledged",
    )
    events.publish(
        "handover.acknowledged",
        audiences=[f"org:{handover.organization_id}"],
        id=handover.pk,
        status="acknowledged",
    )
    handover.refresh_from_db()
    return handover


def close_task(*, actor: Actor, handover: Handover, item_id: int) -> HandoverItem:
    """Close an open task of the latest handover so it is not carried again."""
    item = HandoverItem.objects.filter(
        pk=item_id, handover=handover, kind=ItemKind.NOTE, is_open=True
    ).first()
    if item is None:
        raise NotFound(_("交办事项不存在或已办结。"))
    HandoverItem.objects.filter(pk=item.pk, is_open=True).update(is_open=False, status=_("已办结"))
    audit.record(
        action="update",
        component="jointcmd",
        user=actor.user,
        object_type="handover_item",
        object_id=item.pk,
        detail="closed",
    )
    item.refresh_from_db()
    return item


def list_handovers(
    *,
    actor: Actor,
    desk_code: str | None = None,
    q: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
) -> list[Handover]:
    """The handover history the actor may see, newest first, searchable by notes and items."""
    qs = Handover.objects.filter(_visible(actor)).select_related(
        "organization", "post", "outgoing", "incoming"
    )
    if desk_code:
        qs = qs.filter(organization__code=desk_code)
    if since:
        qs = qs.filter(signed_at__gte=since)
    if until:
        qs = qs.filter(signed_at__lt=until)
    if q.strip():
        term = q.strip()[:100]
        match = HandoverItem.objects.filter(handover=OuterRef("pk"), label__icontains=term)
        qs = qs.filter(Q(notes__icontains=term) | Q(outgoing__name__icontains=term) | Exists(match))
    return list(qs.order_by("-signed_at", "-id")[: max(1, min(limit, 200))])


def desks_of(*, actor: Actor) -> list[Organization]:
    """The duty desks (police units) the actor may hand over: theirs and those below them."""
    return list(
        Organization.objects.filter(
            pk__in=scope_ids(actor),
            kind__in=[OrgKind.WORKSTATION, OrgKind.STATION, OrgKind.BRANCH],
        ).order_by("kind", "id")
    )


def items_of(handover: Handover) -> list[HandoverItem]:
    """The items of a handover in order."""
    return list(handover.items.order_by("position"))


def due_for_acknowledgement(*, actor: Actor, now: datetime) -> list[Handover]:
    """Handovers of the last day the actor's desks signed and nobody has acknowledged yet."""
    return list(
        Handover.objects.filter(
            _visible(actor), acknowledged_at__isnull=True, signed_at__gte=now - timedelta(days=1)
        )
        .exclude(outgoing_id=actor.person_id)
        .select_related("organization", "outgoing")
        .order_by("-signed_at")[:10]
    )

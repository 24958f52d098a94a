"""Intake (接警): a call becomes an incident queued at the duty desk of its workstation.

A retried call with the same ``Idempotency-Key`` returns the incident the first attempt made:
the key is unique per creating user, so the database decides which attempt won.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from django.db import IntegrityError
from django.db.models.signals import post_save, pre_save
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from jingwu import writes
from jingwu.areas.models import Area
from jingwu.areas.services import AreaRef, locate
from jingwu.audit import services as audit
from jingwu.db.insert import insert
from jingwu.errors import Conflict, DomainError, Forbidden, Invalid
from jingwu.incidents.models import EntryKind, Incident
from jingwu.incidents.services.access import choice_label, publish_incident
from jingwu.incidents.services.config import (
    clean_priority,
    clean_source,
    clean_type,
    response_targets,
)
from jingwu.incidents.services.timeline import PlannedShare, audit_share, new_entry, share_rows
from jingwu.orgs.models import Organization
from jingwu.orgs.services import Actor
from jingwu.units.access import police_reach

_PHONE = re.compile(r"^\+?[0-9][0-9\- ]{2,30}$")
_KEY = re.compile(r"^[\x21-\x7e]{1,128}$")
_LIMITS = {"caller_name": 64, "address": 200, "description": 4000}


def _fingerprint(fields: dict[str, Any]) -> str:
    text = json.dumps(fields, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _clean_text(fields: dict[str, Any], errors: list[dict[str, Any]]) -> dict[str, str]:
    out = {}
    for name, limit in _LIMITS.items():
        value = str(fields.get(name) or "").strip()
        if len(value) > limit:
            errors.append({"msg": _("不能超过 %(n)s 个字。") % {"n": limit}, "loc": [name]})
        out[name] = value
    phone = str(fields.get("caller_phone") or "").strip()
    if phone and not _PHONE.match(phone):
        errors.append(
            {
                "msg": _("电话号码格式不正确（只能包含数字、空格、+ 和 -）。"),
                "loc": ["caller_phone"],
            }
        )
    out["caller_phone"] = phone
    return out


def _clean_called_at(value: datetime | None, now: datetime) -> datetime:
    if value is None:
        return now
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if value > now + timedelta(seconds=30):
        raise Invalid(_("接警时间晚于当前时间。"), loc=["called_at"])
    if value < now - timedelta(hours=24):
        raise Invalid(_("接警时间早于 24 小时前，请按补录流程处理。"), loc=["called_at"])
    return value


def _validated(fields: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Every field checked; all field errors reported at once."""
    errors: list[dict[str, Any]] = []
    out: dict[str, Any] = {}
    for name, clean in (
        ("type", clean_type),
        ("priority", clean_priority),
        ("source", clean_source),
    ):
        try:
            out[name] = clean(fields.get(name) if name != "source" else fields.get(name) or "110")
        except DomainError as exc:
            errors.extend(exc.detail())
    out.update(_clean_text(fields, errors))
    try:
        out["received_at"] = _clean_called_at(fields.get("called_at"), now)
    except DomainError as exc:
        errors.extend(exc.detail())
    if errors:
        raise Invalid(_("输入有误。"), errors=[{"msg": e["msg"], "loc": e["loc"]} for e in errors])
    return out


def _jurisdiction(
    actor: Actor, fields: dict[str, Any]
) -> tuple[dict[str, Any], str, dict[str, AreaRef | None]]:
    """The areas of the point (ids), the name of the desk that takes the call, the areas."""
    refs = locate(
        actor=actor, lat=fields.get("lat"), lon=fields.get("lon"), crs=fields.get("crs") or "wgs84"
    )
    desk = refs.get("workstation") or refs.get("station")
    desk_org = _area_org(desk.id if desk else None)
    if desk is None or desk_org is None:
        raise Invalid(_("该位置不属于任何警务站或派出所的辖区。"), loc=["lat"])
    ids = {level: (r.id if r is not None else None) for level, r in refs.items()}
    place = {
        "station_id": ids.get("station"),
        "workstation_id": ids.get("workstation"),
        "police_room_id": ids.get("police_room"),
        "grid_id": ids.get("grid"),
        "organization_id": desk_org,
        "room_organization_id": _area_org(ids.get("police_room")),
    }
    return place, desk.name, refs


_area_orgs: dict[int, int | None] = {}
_area_orgs_at = [0.0]


def _area_org(area_id: int | None) -> int | None:
    """The organization owning an area (cached for a minute: areas change by import, rarely)."""
    if area_id is None:
        return None
    if area_id not in _area_orgs or time.monotonic() - _area_orgs_at[0] > 60:
        _area_orgs.clear()
        _area_orgs.update(Area.objects.values_list("id", "organization_id"))
        _area_orgs_at[0] = time.monotonic()
    return _area_orgs.get(area_id)


def _existing(actor: Actor, key: str, fingerprint: str) -> Incident:
    incident = Incident.objects.select_related(*_AREA_FIELDS).get(
        created_by=actor.user, idempotency_key=key
    )
    if incident.request_fingerprint != fingerprint:
        raise Conflict(
            _("该幂等键已用于另一起内容不同的警情，请为新警情使用新的键。"),
            loc=["Idempotency-Key"],
        )
    return incident


#: Who else sees a new incident: functions (incident not yet saved, now) → planned shares,
#: registered by the apps above this one (joint command's sharing rules). They only read.
SharePlanner = Callable[[Incident, datetime], list[PlannedShare]]
_planners: dict[str, SharePlanner] = {}


def register_share_planner(name: str, planner: SharePlanner) -> None:
    """Consult ``planner`` for every new incident (one per name; registering again replaces)."""
    _planners[name] = planner


def create_incident(
    *, actor: Actor, fields: dict[str, Any], now: datetime, idempotency_key: str | None = None
) -> tuple[Incident, bool]:
    """Take a call: validate, resolve jurisdiction, queue it; return (incident, created).

    ``fields``: lat, lon, crs, address, type, priority, caller_name, caller_phone,
    description, source, called_at. Out-of-district points, unknown types and bad priorities
    raise Invalid and write nothing. A partner organization's report is shared with it.

    Everything that only reads (validation, jurisdiction, the sharing rules, the texts) is
    done first, by the calling thread; the write itself (the incident, its timeline lines,
    shares and audit rows, all inserted at once) goes through the write queue
    (:mod:`jingwu.writes`), so the database's one write lock is held for the inserts alone.
    """
    if not actor.grants:
        raise Forbidden(_("您的账号尚未加入任何单位，不能录入警情。"))
    key = (idempotency_key or "").strip() or None
    if key is not None and not _KEY.match(key):
        raise Invalid(_("幂等键须为 1–128 个可见 ASCII 字符。"), loc=["Idempotency-Key"])
    fingerprint = _fingerprint(fields)
    # A retried call is found by its key when the insert collides (the unique constraint
    # decides), so a first call costs no look-up; a retry whose fields no longer pass (a
    # call time gone stale, areas changed) still gets the incident its key made.
    try:
        clean = _validated(fields, now)
        place, desk_name, refs = _jurisdiction(actor, fields)
    except DomainError:
        if key is not None and _taken(actor, key):
            return _existing(actor, key, fingerprint), False
        raise
    lat, lon = _point(fields)
    incident = Incident(
        **clean, **place, lat=lat, lon=lon, target_s=response_targets()[clean["priority"]],
        created_by=actor.user, idempotency_key=key or "", request_fingerprint=fingerprint,
    )  # fmt: skip
    shares = _planned_shares(actor, incident, now)
    planned = (incident.priority, incident.target_s)
    try:
        writes.run_many(_write_many, _Call(actor, incident, planned, shares, now, desk_name))
    except IntegrityError:  # the key's unique constraint: another attempt won (committed)
        if key is None:
            raise
        return _existing(actor, key, fingerprint), False
    for level, ref in refs.items():  # the answer names the areas: no second read of the row
        if level in _AREA_FIELDS:
            setattr(incident, level, _area(ref) if ref is not None else None)
    return incident, True


def _planned_shares(actor: Actor, incident: Incident, now: datetime) -> list[PlannedShare]:
    """The shares of a new incident: by the planners (rules), then the reporter's own."""
    out: dict[int, PlannedShare] = {}
    for planner in _planners.values():
        for s in planner(incident, now):
            if s.organization_id != incident.organization_id:
                out.setdefault(s.organization_id, s)
    if not police_reach(actor) & {incident.organization_id, incident.room_organization_id}:
        # A partner (or another desk) that reports an incident keeps sight of it.
        for org_id in sorted(actor.organization_ids)[:1]:
            if org_id not in out:
                name = Organization.objects.filter(pk=org_id).values_list("name", flat=True)
                out[org_id] = PlannedShare(
                    org_id, name.first() or "", _("报警单位保持可见（本单位报警）"),
                    component="incidents", detail="reporter", by_actor=True,
                )  # fmt: skip
    return list(out.values())


@dataclass(eq=False)
class _Call:
    """One call's write: what the request thread checked and planned."""

    actor: Actor
    incident: Incident
    planned: tuple[str, int]  # priority and target before any receiver raised them
    shares: list[PlannedShare]
    now: datetime
    desk_name: str


def _write_many(calls: list[tuple[_Call, str | None]]) -> None:
    """The intake's write for several calls: the incidents, then all their lines and shares,
    then their audit rows and events — one INSERT per table for all the calls (PostgreSQL:
    one round trip each, where one call alone took three).

    Safe to run again after a rollback (the write queue may): each incident starts anew from
    its planned priority and target each time. Texts are in each caller's language.
    """
    incidents = []
    for call, language in calls:
        incident = call.incident
        incident.pk, incident._state.adding = None, True
        incident.priority, incident.target_s = call.planned
        incident.shares_planned = True  # type: ignore[attr-defined]  # receivers: shares planned here
        with translation.override(language):  # a receiver may raise the priority (eco fire risk)
            pre_save.send(sender=Incident, instance=incident, raw=False, using="default",
                          update_fields=None)  # fmt: skip
        incidents.append(incident)
    insert(incidents)
    lines: list[Any] = []
    share_objs: list[Any] = []
    plans = []
    for call, language in calls:
        incident = call.incident
        with translation.override(language):
            post_save.send(sender=Incident, instance=incident, created=True, update_fields=None,
                           raw=False, using="default")  # fmt: skip
            shares = call.shares
            if incident.priority != call.planned[0]:  # raised on save: the rules see the new one
                shares = _planned_shares(call.actor, incident, call.now)
            rows = [
                share_rows(incident=incident, share=s, at=call.now, actor=call.actor)
                for s in shares
            ]
            created = new_entry(
                incident=incident, kind=EntryKind.CREATED, at=incident.received_at,
                actor=call.actor, status=incident.status,
                text=_("接警（%(source)s）：%(type)s，%(priority)s，排入%(desk)s值班台") % {
                    "source": choice_label(incident, "source"),
                    "type": choice_label(incident, "type"),
                    "priority": incident.priority, "desk": call.desk_name,
                },
            )  # fmt: skip
        lines += [created, *(line for _row, line in rows)]
        share_objs += [row for row, _line in rows]
        plans.append((call, language, shares))
    insert(lines)
    insert(share_objs)
    for call, language, shares in plans:
        incident = call.incident
        with translation.override(language):
            audit.record(
                action="create", component="incidents", user=call.actor.user,
                organization_id=incident.organization_id, object_type="incident",
                object_id=incident.pk,
            )  # fmt: skip
            for s in shares:
                audit_share(incident=incident, share=s, actor=call.actor)
            # The shares, for the event's audiences and the answer (``incident_detail``).
            incident.created_shares = [(s.organization_id, s.organization_name) for s in shares]  # type: ignore[attr-defined]
            publish_incident(
                incident, "incident.created", shared=[s.organization_id for s in shares]
            )


_AREA_FIELDS = ("station", "workstation", "police_room", "grid")


@lru_cache(maxsize=4096)
def _area(ref: AreaRef) -> Area:
    """The area the answer names, built once per reference (only read; a renamed area has
    another reference)."""
    return Area(id=ref.id, name=ref.name, code=ref.code, level=ref.level)


def _taken(actor: Actor, key: str) -> bool:
    return Incident.objects.filter(created_by=actor.user, idempotency_key=key).exists()


def _point(fields: dict[str, Any]) -> tuple[float, float]:
    from jingwu.areas.services import clean_point

    return clean_point(
        lat=fields.get("lat"), lon=fields.get("lon"), crs=fields.get("crs") or "wgs84"
    )

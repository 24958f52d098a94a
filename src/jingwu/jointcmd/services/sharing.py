"""Incident linkage (警情联动): sharing rules, applied when an incident is created.

A rule names an area (polygon), incident types and priorities (empty = any) and the partner
organizations that then see the incident live on their console, by id, and may add timeline
entries. Every share is a row of ``incidents.IncidentShare`` (which the incidents app's
visibility query reads), a line on the incident's timeline and a row in the audit log, all in
the incident's own transaction. A partner's own intake is shared back the same way, since the
rules look only at where, what and how urgent, not at who took the call.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Exists, OuterRef, Q, TextField
from django.db.models.functions import Cast
from django.utils.translation import gettext as _
from shapely import contains_xy, prepare
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from jingwu.audit import services as audit
from jingwu.caching import Checked
from jingwu.engine.jurisdiction import GeometryError, parse_geometry
from jingwu.errors import Invalid, NotFound
from jingwu.incidents.models import (
    OPEN_STATUSES,
    Incident,
    IncidentShare,
    IncidentType,
    Priority,
)
from jingwu.incidents.services.access import incident_dict, visible_incidents
from jingwu.incidents.services.timeline import PlannedShare, add_share
from jingwu.jointcmd.models import JointArea, SharingRule
from jingwu.jointcmd.services.access import require_staff, scope_ids, staff_scope_ids
from jingwu.orgs.models import Organization
from jingwu.orgs.services import Actor


def _clean_codes(values: list[str], allowed: list[str], field: str) -> list[str]:
    out = []
    for i, v in enumerate(values):
        if v not in allowed:
            raise Invalid(
                _("未知的取值“%(v)s”，可选：%(allowed)s")
                % {"v": str(v)[:40], "allowed": "、".join(allowed)},
                loc=[field, i],
            )
        out.append(v)
    return sorted(set(out))


def create_rule(
    *,
    actor: Actor,
    name: str,
    owner_code: str,
    geometry: Any,
    partner_codes: list[str],
    now: datetime,
    incident_types: list[str] | None = None,
    priorities: list[str] | None = None,
    joint_area_code: str | None = None,
) -> SharingRule:
    """Create a sharing rule (staff of the owning unit). Unknown organizations are refused."""
    owner = Organization.objects.filter(code=owner_code).first()
    if owner is None:
        raise Invalid(_("单位不存在：%(code)s") % {"code": owner_code}, loc=["owner"])
    require_staff(actor, owner.pk)
    if not name.strip():
        raise Invalid(_("请填写名称。"), loc=["name"])
    try:
        parse_geometry(geometry)
    except GeometryError:
        raise Invalid(_("范围必须是 GeoJSON 多边形。"), loc=["geometry"]) from None
    if not partner_codes:
        raise Invalid(_("请至少指定一个共享单位。"), loc=["partners"])
    found = {o.code: o for o in Organization.objects.filter(code__in=partner_codes)}
    for i, code in enumerate(partner_codes):
        if code not in found:
            raise Invalid(_("单位不存在：%(code)s") % {"code": code}, loc=["partners", i])
    area = None
    if joint_area_code:
        area = JointArea.objects.filter(code=joint_area_code).first()
        if area is None:
            raise Invalid(_("联勤区域不存在。"), loc=["joint_area"])
    rule = SharingRule.objects.create(
        name=name.strip()[:120],
        owner=owner,
        joint_area=area,
        geometry=geometry,
        incident_types=_clean_codes(incident_types or [], IncidentType.values, "incident_types"),
        priorities=_clean_codes(priorities or [], Priority.values, "priorities"),
        created_at=now,
        created_by=actor.user,
    )
    rule.partners.set(found.values())
    audit.record(
        action="create",
        component="jointcmd",
        user=actor.user,
        organization_id=owner.pk,
        object_type="sharing_rule",
        object_id=rule.pk,
        detail=f"partners={len(found)}",
    )
    return rule


def list_rules(*, actor: Actor) -> list[SharingRule]:
    """The rules the actor's units own or receive incidents by."""
    scope = scope_ids(actor)
    return list(
        SharingRule.objects.filter(Q(owner_id__in=scope) | Q(partners__in=scope))
        .distinct()
        .select_related("owner", "joint_area")
        .prefetch_related("partners")
        .order_by("id")
    )


def deactivate_rule(*, actor: Actor, rule_id: int) -> SharingRule:
    """Stop a rule (it shares nothing new; past shares stay)."""
    rule = SharingRule.objects.filter(pk=rule_id, owner_id__in=staff_scope_ids(actor)).first()
    if rule is None:
        raise NotFound(_("共享规则不存在。"))
    SharingRule.objects.filter(pk=rule.pk).update(is_active=False)
    forget_rule(rule.pk)
    audit.record(
        action="update",
        component="jointcmd",
        user=actor.user,
        object_type="sharing_rule",
        object_id=rule.pk,
        detail="deactivated",
    )
    rule.refresh_from_db()
    return rule


@dataclass(frozen=True)
class _Compiled:
    """A rule ready to test: its prepared polygon and its types and priorities as sets."""

    source: tuple[str, str, str]  # geometry, types, priorities as stored: the cache key
    geometry: BaseGeometry
    types: frozenset[str]
    priorities: frozenset[str]


# Rule id -> compiled rule. An entry is used only while the stored text it was built from is
# unchanged (compared on every use of the rules read), so an edit by any path (API, admin,
# ``update()``, another process) takes effect once the rules are read again (at once for a
# save or delete in this process, within ``caching.FRESH_S`` otherwise).
_compiled: dict[int, _Compiled] = {}


def _source(rule: SharingRule) -> tuple[str, str, str]:
    """A loaded rule's matching fields as text (``apply_rules`` reads the stored text instead)."""
    return (
        json.dumps(rule.geometry, sort_keys=True),
        json.dumps(rule.incident_types, sort_keys=True),
        json.dumps(rule.priorities, sort_keys=True),
    )


def _compile(rule_id: int, source: tuple[str, str, str]) -> _Compiled:
    geometry = shape(json.loads(source[0]))
    prepare(geometry)
    return _Compiled(
        source=source,
        geometry=geometry,
        types=frozenset(json.loads(source[1]) or ()),
        priorities=frozenset(json.loads(source[2]) or ()),
    )


def _compiled_for(rule_id: int, source: tuple[str, str, str]) -> _Compiled:
    entry = _compiled.get(rule_id)
    if entry is None or entry.source != source:
        entry = _compile(rule_id, source)
        _compiled[rule_id] = entry
    return entry


def compiled_rule(rule: SharingRule) -> _Compiled:
    """The rule's compiled form, from the cache while its fields are unchanged."""
    return _compiled_for(rule.pk, _source(rule))


def forget_rule(rule_id: int) -> None:
    """Drop a rule's compiled form and the active rules read (on save, delete or
    deactivation)."""
    _compiled.pop(rule_id, None)
    forget_rules()


def _matches(c: _Compiled, incident: Incident) -> bool:
    if c.types and incident.type not in c.types:
        return False
    if c.priorities and incident.priority not in c.priorities:
        return False
    return bool(contains_xy(c.geometry, incident.lon, incident.lat))  # no Point object made


def rule_matches(rule: SharingRule, incident: Incident) -> bool:
    """True when the incident is inside the rule's area and of its types and priorities."""
    return _matches(compiled_rule(rule), incident)


def planned_share(organization_id: int, organization_name: str, reason: str) -> PlannedShare:
    """A share by a rule (no person): its timeline text names the partner and the reason."""
    return PlannedShare(
        organization_id,
        organization_name,
        _("共享给%(org)s（%(reason)s）") % {"org": organization_name, "reason": reason},
        component="jointcmd",
        detail=reason,
        actor_name=_("联勤共享规则"),
    )


def share(*, incident: Incident, organization: Organization, reason: str, now: datetime) -> bool:
    """Share one stored incident with one organization, on the timeline and in the audit log.

    Returns False (and writes nothing) when it is already shared with it or is its own desk's.
    Call inside the incident's transaction.
    """
    if organization.pk == incident.organization_id:
        return False
    return add_share(
        incident=incident, share=planned_share(organization.pk, organization.name, reason), at=now
    )


_Rules = dict[int, tuple[str, tuple[str, str, str], list[tuple[int, str]]]]


def forget_rules() -> None:
    """Read the active rules again on the next incident (a rule, its partners or a partner's
    name changed in this process; a change elsewhere is seen within ``caching.FRESH_S``)."""
    _rules.forget()


def _read_active_rules(_previous: _Rules | None = None) -> _Rules:
    """Active rules with their partners in one query: id → (name, stored text, partners).

    The JSON fields come as stored text, not decoded, so a cached rule is only compared.
    The partners are (id, name) pairs. A rule without partners
    shares nothing and is left out.
    """
    # The query is compiled once per database and run as plain SQL: building it through the
    # ORM cost more than running it, on every incident.
    key = (connection.alias, connection.vendor)
    compiled = _ACTIVE_RULES_SQL.get(key)
    if compiled is None:
        query = _active_rules_query().query
        compiled = _ACTIVE_RULES_SQL[key] = query.get_compiler(connection=connection).as_sql()
    with connection.cursor() as cursor:
        cursor.execute(*compiled)
        rows = cursor.fetchall()
    out: _Rules = {}
    for rule_id, name, geometry, types, priorities, org_id, org_name in rows:
        entry = out.setdefault(rule_id, (name, (geometry, types, priorities), []))
        entry[2].append((org_id, org_name))
    return out


_ACTIVE_RULES_SQL: dict[tuple[str, str], tuple[str, tuple[Any, ...]]] = {}
#: The active rules, kept by :mod:`jingwu.caching`.
_rules = Checked(_read_active_rules)
_active_rules = _rules.get


def _active_rules_query() -> Any:
    return (
        SharingRule.partners.through.objects.filter(sharingrule__is_active=True)
        .annotate(
            geometry=Cast("sharingrule__geometry", TextField()),
            types=Cast("sharingrule__incident_types", TextField()),
            priorities=Cast("sharingrule__priorities", TextField()),
        )
        .order_by("sharingrule_id", "organization_id")
        .values_list(
            "sharingrule_id",
            "sharingrule__name",
            "geometry",
            "types",
            "priorities",
            "organization_id",
            "organization__name",
        )
    )


def _matching_rules(incident: Incident) -> Iterator[tuple[str, list[tuple[int, str]]]]:
    """(reason, partners as (id, name)) of every active rule the incident matches."""
    rules = _active_rules()
    for stale in [k for k in _compiled if k not in rules]:
        del _compiled[stale]  # a rule no longer active (the rules just read say so)
    for rule_id, (name, source, partners) in rules.items():
        if _matches(_compiled_for(rule_id, source), incident):
            yield _("规则“%(rule)s”") % {"rule": name}, partners


def apply_rules(*, incident: Incident, now: datetime) -> list[int]:
    """Share a new incident by every active rule it matches; return the organizations added."""
    added = []
    for reason, partners in _matching_rules(incident):
        for org_id, org_name in partners:
            org = Organization(pk=org_id, name=org_name)  # all ``share`` reads of it
            if share(incident=incident, organization=org, reason=reason, now=now):
                added.append(org_id)
    return added


def planned_rule_shares(incident: Incident, now: datetime) -> list[PlannedShare]:
    """The shares the active rules give a new incident not yet written (reads only)."""
    return [
        planned_share(org_id, org_name, reason)
        for reason, partners in _matching_rules(incident)
        for org_id, org_name in partners
    ]


def shared_incidents(*, actor: Actor, open_only: bool = True, limit: int = 200) -> list[Incident]:
    """Incidents shared with the caller's organization, and those its desks shared out.

    A partner force sees what was shared with it; the joint command centre sees the same
    incidents from its side (the ones it shares), so both look at one picture.
    """
    has_share = IncidentShare.objects.filter(incident=OuterRef("pk"))
    qs = visible_incidents(actor=actor).filter(Exists(has_share))
    if open_only:
        qs = qs.filter(status__in=OPEN_STATUSES)
    return list(
        qs.select_related("station", "workstation", "police_room", "grid", "organization")
        .prefetch_related("shares__organization")
        .order_by("priority", "-received_at", "-id")[:limit]
    )


def shared_dict(incident: Incident, *, actor: Actor, now: datetime | None = None) -> dict[str, Any]:
    """An incident as the joint console lists it: no caller data, with whom it is shared."""
    from django.utils import timezone

    out = incident_dict(incident, actor=actor, now=now or timezone.now())
    out["desk"] = incident.organization.name
    out["shared_with"] = [
        {"id": s.organization_id, "name": s.organization.name} for s in incident.shares.all()
    ]
    return out

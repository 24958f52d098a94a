"""Plain-dict views of eco objects for the API and the pages (names only, no personal data)."""

from __future__ import annotations

from typing import Any

from jingwu.eco.models import EcoCase, EcoCaseEntry, EcoZone
from jingwu.eco.services import RiskOfDay
from jingwu.jointcmd.models import PatrolPlan


def risk(r: RiskOfDay) -> dict[str, Any]:
    return {
        "day": r.day.isoformat(),
        "level": r.level,
        "label": r.label,
        "source": r.source,
        "note": r.note,
    }


def zone(z: EcoZone, today: RiskOfDay) -> dict[str, Any]:
    return {
        "id": z.pk,
        "code": z.code,
        "name": z.name,
        "geometry": z.geometry,
        "forest_chief": {
            "person_id": z.forest_chief_id,
            "name": z.forest_chief.name,
            "organization": {"id": z.forest_org_id, "name": z.forest_org.name},
        },
        "police_chief": {
            "person_id": z.police_chief_id,
            "name": z.police_chief.name,
            "organization": {"id": z.police_org_id, "name": z.police_org.name},
        },
        "fire_risk": risk(today),
    }


def patrol(p: PatrolPlan) -> dict[str, Any]:
    return {
        "id": p.pk,
        "name": p.name,
        "owner": p.owner.name,
        "weekdays": p.weekdays,
        "start_time": p.start_time.strftime("%H:%M"),
        "length_m": p.length_m,
        "checkpoints": [
            {"id": c.pk, "seq": c.seq, "name": c.name, "lat": c.lat, "lon": c.lon}
            for c in p.checkpoints.all()
        ],
        "route": p.route,
    }


def entry(e: EcoCaseEntry) -> dict[str, Any]:
    by = getattr(getattr(e.user, "person", None), "name", "") if e.user_id else ""
    return {
        "at": e.at.isoformat(),
        "kind": e.kind,
        "organization": e.organization.name,
        "by": by,
        "text": e.text,
    }


def case(c: EcoCase, entries: list[EcoCaseEntry] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": c.pk,
        "zone_id": c.zone_id,
        "title": c.title,
        "kind": c.kind,
        "kind_label": c.get_kind_display(),
        "holder": {"id": c.holder_id, "name": c.holder.name},
        "status": c.status,
        "opened_at": c.opened_at.isoformat(),
        "closed_at": c.closed_at.isoformat() if c.closed_at else None,
        "incident_id": c.incident_id,
    }
    if entries is not None:
        out["timeline"] = [entry(e) for e in entries]
    return out

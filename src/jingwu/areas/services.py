"""Use cases for areas: locate a point, list and draw the tiers, import and export GeoJSON."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection
from django.utils.translation import gettext as _

from jingwu.areas.models import LEVEL_ORDER, Area, Level
from jingwu.audit import services as audit
from jingwu.caching import Checked
from jingwu.engine import geo
from jingwu.engine.jurisdiction import (
    AreaShape,
    GeometryError,
    JurisdictionIndex,
    parse_geometry,
    validate_tier,
)
from jingwu.errors import Invalid, NotFound
from jingwu.orgs.models import Organization
from jingwu.orgs.services import Actor

CRS_CHOICES = ("wgs84", "gcj02")


@dataclass(frozen=True)
class AreaRef:
    """The id, name, level and code of an area, as the locate answer gives it."""

    id: int
    name: str
    level: str
    code: str


@dataclass(frozen=True)
class _Snapshot:
    key: tuple[int, datetime | None]
    index: JurisdictionIndex
    refs: dict[int, AreaRef]
    branch_org: dict[int, int | None]  # area id → organization of its branch area


def _branch_of(area_id: int, parents: dict[int, int | None]) -> int:
    seen = {area_id}
    while (p := parents.get(area_id)) is not None and p not in seen:
        seen.add(p)
        area_id = p
    return area_id


def _read(previous: _Snapshot | None) -> _Snapshot:
    """The spatial index over all areas: the previous one again while no area changed."""
    with connection.cursor() as cursor:  # plain SQL: the ORM's aggregate cost more than this
        cursor.execute(f"SELECT COUNT(*), MAX(updated_at) FROM {Area._meta.db_table}")
        key = tuple(cursor.fetchone())
    if previous is not None and previous.key == key:
        return previous
    rows = list(
        Area.objects.values(
            "id", "level", "parent_id", "geometry", "name", "code", "organization_id"
        )
    )
    parents = {r["id"]: r["parent_id"] for r in rows}
    org = {r["id"]: r["organization_id"] for r in rows}
    index = JurisdictionIndex.build(
        [AreaShape(r["id"], r["level"], r["parent_id"], r["geometry"]) for r in rows]
    )
    refs = {r["id"]: AreaRef(r["id"], r["name"], r["level"], r["code"]) for r in rows}
    branch_org = {r["id"]: org[_branch_of(r["id"], parents)] for r in rows}
    return _Snapshot(key, index, refs, branch_org)  # type: ignore[arg-type]


#: The index, kept by :mod:`jingwu.caching`: an area saved or deleted in this process is seen
#: at once (:func:`forget_areas`), one changed elsewhere within ``caching.FRESH_S``.
_snapshot = Checked(_read)
_current = _snapshot.get


def forget_areas() -> None:
    """Drop the index (an area was saved or deleted): the next use builds it anew."""
    _snapshot.forget()


def clean_point(*, lat: Any, lon: Any, crs: str = "wgs84") -> tuple[float, float]:
    """A WGS-84 (lat, lon) from user input, converting GCJ-02 when declared.

    Raises Invalid naming the field for non-numbers, NaN, out-of-range values or an unknown CRS.
    """
    if crs not in CRS_CHOICES:
        raise Invalid(_("未知的坐标系：%(crs)s（可选 wgs84、gcj02）") % {"crs": crs}, loc=["crs"])
    out = []
    for name, value, limit in (("lat", lat, 90.0), ("lon", lon, 180.0)):
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise Invalid(_("坐标必须是数字。"), loc=[name]) from None
        if not math.isfinite(v) or abs(v) > limit:
            raise Invalid(_("坐标超出范围。"), loc=[name])
        out.append(v)
    if crs == "gcj02":
        return geo.gcj02_to_wgs84(out[0], out[1])
    return out[0], out[1]


def resolve_point(*, lat: float, lon: float) -> dict[str, AreaRef | None]:
    """The chain of areas containing a WGS-84 point, regardless of who asks (for use cases)."""
    snap = _current()
    ids = snap.index.locate(lat, lon)
    return {level: (snap.refs.get(i) if i is not None else None) for level, i in ids.items()}


def locate(*, actor: Actor, lat: Any, lon: Any, crs: str = "wgs84") -> dict[str, AreaRef | None]:
    """The station, workstation, police room and grid of a point inside the actor's branch.

    A point outside every branch the actor belongs to is refused: an officer of another
    district learns nothing of this one.
    """
    wlat, wlon = clean_point(lat=lat, lon=lon, crs=crs)
    snap = _current()
    ids = snap.index.locate(wlat, wlon)
    branch_id = ids.get(Level.BRANCH)
    if branch_id is None or snap.branch_org.get(branch_id) not in actor.branch_ids:
        raise Invalid(_("该位置不在本分局辖区内。"), loc=["lat"])
    return {level: (snap.refs.get(i) if i is not None else None) for level, i in ids.items()}


def visible_areas(*, actor: Actor, level: str | None = None) -> list[Area]:
    """The areas of the actor's branches, optionally of one level."""
    if level is not None and level not in Level.values:
        raise Invalid(_("未知的层级：%(level)s") % {"level": level}, loc=["level"])
    snap = _current()
    ids = [aid for aid, org in snap.branch_org.items() if org in actor.branch_ids]
    qs = Area.objects.filter(id__in=ids).select_related("organization", "parent").order_by("id")
    return list(qs.filter(level=level) if level else qs)


def get_area(*, actor: Actor, area_id: int) -> Area:
    """One area the actor may see, else NotFound (not Forbidden: existence is not revealed)."""
    snap = _current()
    if snap.branch_org.get(area_id, -1) not in actor.branch_ids:
        if area_id in snap.branch_org:
            audit.record(
                action="denied",
                component="areas",
                user=actor.user,
                object_type="area",
                object_id=area_id,
                outcome="denied",
            )
        raise NotFound(_("辖区不存在。"))
    return Area.objects.select_related("organization", "parent").get(pk=area_id)


def to_feature(area: Area) -> dict[str, Any]:
    """One area as a GeoJSON feature, in the same shape ``import_areas`` reads."""
    props: dict[str, Any] = {
        "id": area.pk,
        "level": area.level,
        "code": area.code,
        "name": area.name,
        "parent": area.parent.code if area.parent_id else None,
        "organization": area.organization.code if area.organization_id else None,
        "organization_name": area.organization.name if area.organization_id else None,
        "illustrative": area.illustrative,
    }
    if area.post_lat is not None:
        props["post"] = [area.post_lon, area.post_lat]
    if area.population is not None:
        props["population"] = area.population
    return {"type": "Feature", "properties": props, "geometry": area.geometry}


def export_areas(*, actor: Actor | None = None, level: str | None = None) -> dict[str, Any]:
    """All areas (or the actor's) as one FeatureCollection, parents before children."""
    if actor is None:
        areas = list(Area.objects.select_related("organization", "parent"))
    else:
        areas = visible_areas(actor=actor, level=level)
    if level:
        areas = [a for a in areas if a.level == level]
    areas.sort(key=lambda a: (LEVEL_ORDER.index(Level(a.level)), a.pk))
    return {"type": "FeatureCollection", "features": [to_feature(a) for a in areas]}


@dataclass
class ImportReport:
    """What an import did (or would do, on a dry run) and what it noticed."""

    created: int = 0
    updated: int = 0
    warnings: list[dict[str, Any]] = field(default_factory=list)


_GEOMETRY_REASONS = {
    "not_object": lambda: _("几何必须是 GeoJSON 对象。"),
    "missing_type": lambda: _("缺少 type。"),
    "not_polygon": lambda: _("几何类型必须是 Polygon 或 MultiPolygon。"),
    "missing_coordinates": lambda: _("缺少坐标 coordinates。"),
    "nesting": lambda: _("坐标结构不正确。"),
    "unclosed_ring": lambda: _("多边形的环没有闭合（首尾坐标须相同）。"),
    "too_few_positions": lambda: _("多边形的环至少需要 4 个坐标。"),
    "not_numeric": lambda: _("坐标必须是有限的数字。"),
    "not_finite": lambda: _("坐标必须是有限的数字。"),
    "out_of_range": lambda: _("经纬度超出范围。"),
}

_ISSUE_MESSAGES = {
    "invalid_geometry": lambda d: _("多边形无效：%(d)s") % {"d": d},
    "self_intersection": lambda d: _("多边形自相交：%(d)s") % {"d": d},
    "not_polygon": lambda d: _("几何类型必须是 Polygon 或 MultiPolygon。"),
    "empty": lambda d: _("多边形为空。"),
    "overlap": lambda d: _("与同级辖区重叠 %(d)s 平方米。") % {"d": d},
    "outside_parent": lambda d: _("超出上级辖区 %(d)s 平方米。") % {"d": d},
    "gap": lambda d: _("下级辖区未覆盖上级辖区，空隙 %(d)s 平方米。") % {"d": d},
    "unknown_parent": lambda d: _("上级辖区不存在。"),
}


def _geometry_message(exc: GeometryError) -> str:
    f = _GEOMETRY_REASONS.get(getattr(exc, "reason", ""))
    return f() if f else _("GeoJSON 几何格式不正确。")


def _parse_features(doc: Any) -> list[dict[str, Any]]:
    if (
        not isinstance(doc, dict)
        or doc.get("type") != "FeatureCollection"
        or not isinstance(doc.get("features"), list)
    ):
        raise Invalid(_("文件必须是 GeoJSON FeatureCollection。"), loc=["type"])
    errors: list[dict[str, Any]] = []
    parsed: list[dict[str, Any]] = []
    for i, feat in enumerate(doc["features"]):
        loc: list[Any] = ["features", i]
        props = feat.get("properties") if isinstance(feat, dict) else None
        if not isinstance(props, dict):
            errors.append({"msg": _("要素缺少 properties。"), "loc": loc})
            continue
        level, code, name = (
            props.get("level"),
            str(props.get("code") or "").strip(),
            str(props.get("name") or "").strip(),
        )
        if level not in Level.values:
            errors.append(
                {
                    "msg": _("未知的层级：%(level)s") % {"level": level},
                    "loc": [*loc, "properties", "level"],
                }
            )
        if not code:
            errors.append({"msg": _("缺少代码 code。"), "loc": [*loc, "properties", "code"]})
        if not name:
            errors.append({"msg": _("缺少名称 name。"), "loc": [*loc, "properties", "name"]})
        try:
            parse_geometry(feat.get("geometry"))
        except GeometryError as exc:
            errors.append({"msg": _geometry_message(exc), "loc": [*loc, "geometry"]})
        parsed.append(
            {
                "index": i,
                "level": level,
                "code": code,
                "name": name,
                "props": props,
                "geometry": feat.get("geometry"),
            }
        )
    if errors:
        raise Invalid(errors[0]["msg"], errors=errors)
    return parsed


def import_areas(*, doc: Any, actor_user: Any = None, dry_run: bool = False) -> ImportReport:
    """Create or update areas from a FeatureCollection, all or nothing. Call inside a transaction.

    Areas are matched by ``code``; ``parent`` names the parent's code (in the file or already
    stored) and must be of the level above; ``organization`` names an organization code.
    Invalid or self-intersecting polygons, overlapping siblings and children outside their
    parent are errors; gaps between a parent and its children are reported as warnings.
    """
    feats = _parse_features(doc)
    existing = {a.code: a for a in Area.objects.all()}
    orgs = {o.code: o for o in Organization.objects.all()}
    codes_in_file = [f["code"] for f in feats]
    errors: list[dict[str, Any]] = []
    if len(set(codes_in_file)) != len(codes_in_file):
        errors.append({"msg": _("文件中有重复的代码。"), "loc": ["features"]})
    level_of = {c: a.level for c, a in existing.items()} | {f["code"]: f["level"] for f in feats}
    for f in feats:
        loc = ["features", f["index"], "properties"]
        parent = f["props"].get("parent")
        depth = LEVEL_ORDER.index(Level(f["level"]))
        if depth == 0 and parent:
            errors.append({"msg": _("分局辖区不能有上级。"), "loc": [*loc, "parent"]})
        elif depth > 0 and (parent not in level_of or level_of[parent] != LEVEL_ORDER[depth - 1]):
            errors.append(
                {"msg": _("上级辖区必须是已存在的上一层级辖区。"), "loc": [*loc, "parent"]}
            )
        org = f["props"].get("organization")
        if org and org not in orgs:
            errors.append(
                {"msg": _("责任单位不存在：%(org)s") % {"org": org}, "loc": [*loc, "organization"]}
            )
    if errors:
        raise Invalid(errors[0]["msg"], errors=errors)

    # Validate the tiers as they will be after the import: stored areas overlaid by the file.
    geometry = {c: a.geometry for c, a in existing.items()} | {
        f["code"]: f["geometry"] for f in feats
    }
    parent_of = {c: (a.parent.code if a.parent_id else None) for c, a in existing.items()} | {
        f["code"]: f["props"].get("parent") for f in feats
    }
    ids = {c: n for n, c in enumerate(sorted(geometry), start=1)}
    code_of = {n: c for c, n in ids.items()}
    shapes = [
        AreaShape(ids[c], level_of[c], ids.get(parent_of[c]) if parent_of[c] else None, geometry[c])
        for c in geometry
    ]
    report = ImportReport()
    feature_index = {f["code"]: f["index"] for f in feats}
    for issue in validate_tier(shapes):
        codes = [code_of[i] for i in issue.area_ids]
        figure = f"{issue.area_m2:,.0f}" if issue.area_m2 is not None else issue.detail
        msg = _ISSUE_MESSAGES.get(issue.code, lambda d: str(d))(figure)
        entry = {
            "msg": msg,
            "code": issue.code,
            "areas": codes,
            "loc": ["features", feature_index.get(codes[0], codes[0])],
        }
        (errors if issue.severity == "error" else report.warnings).append(entry)
    if errors:
        raise Invalid(errors[0]["msg"], errors=errors)
    if dry_run:
        report.created = sum(1 for f in feats if f["code"] not in existing)
        report.updated = len(feats) - report.created
        return report

    # Parents first, so a child's parent is saved before the child points at it.
    for f in sorted(feats, key=lambda f: LEVEL_ORDER.index(Level(f["level"]))):
        props = f["props"]
        post = props.get("post")
        values = {
            "level": f["level"],
            "name": f["name"],
            "geometry": f["geometry"],
            "parent": existing.get(props.get("parent")) if props.get("parent") else None,
            "organization": orgs.get(props.get("organization"))
            if props.get("organization")
            else None,
            "illustrative": bool(props.get("illustrative", False)),
            "post_lon": float(post[0]) if post else None,
            "post_lat": float(post[1]) if post else None,
            "population": props.get("population"),
            "properties": {
                k: v
                for k, v in props.items()
                if k in ("community", "kind", "approximate", "township")
            },
        }
        area, created = Area.objects.update_or_create(code=f["code"], defaults=values)
        existing[f["code"]] = area
        report.created += created
        report.updated += not created
        audit.record(
            action="create" if created else "update",
            component="areas",
            user=actor_user,
            object_type="area",
            object_id=area.pk,
        )
    return report

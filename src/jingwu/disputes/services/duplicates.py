"""Duplicate and repeat detection against the open cases and leads, per process.

The process keeps one ``DuplicateIndex`` built at first use from the tokens stored on each
case and lead (segmented once, when written), and brings it up to date before every query by
reading the rows whose ``updated_at`` moved since the last look — so writes made by other
processes are seen too. Results are filtered by what the asking person may see: a partner is
never offered a case they could not open.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from jingwu.disputes.models import OPEN_STAGES, Case, Lead, LeadStatus, Party
from jingwu.disputes.services import access
from jingwu.disputes.services.parties import PartyIn
from jingwu.disputes.services.risk import REPEAT_DAYS, repeat_cases
from jingwu.disputes.services.text import normalize_address, tokenize
from jingwu.disputes.similarity import Doc, DuplicateIndex, Match, party_keys
from jingwu.orgs.services import Actor

#: Rows written up to this long before the last sync are read again (commit-order slack).
SYNC_SLACK = timedelta(seconds=30)


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.index: DuplicateIndex | None = None
        self.watermark: datetime | None = None


_state = _State()


def _party_map(owner: str, ids: list[int]) -> dict[int, frozenset[str]]:
    rows: dict[int, list[tuple[str, str, str]]] = {}
    for chunk_start in range(0, len(ids), 5000):
        chunk = ids[chunk_start : chunk_start + 5000]
        for oid, name, idn, tel in Party.objects.filter(**{f"{owner}_id__in": chunk}).values_list(
            f"{owner}_id", "name", "id_number", "phone"
        ):
            rows.setdefault(oid, []).append((name, idn, tel))
    return {
        oid: party_keys(
            names=[r[0] for r in rs], id_numbers=[r[1] for r in rs], phones=[r[2] for r in rs]
        )
        for oid, rs in rows.items()
    }


def _apply(index: DuplicateIndex, since: datetime | None) -> None:
    cases = Case.objects.all() if since is None else Case.objects.filter(updated_at__gte=since)
    if since is None:
        cases = cases.filter(stage__in=OPEN_STAGES, merged_into__isnull=True)
    rows = list(cases.values_list("id", "stage", "merged_into_id", "tokens", "lat", "lon"))
    parties = _party_map("case", [r[0] for r in rows])
    for cid, stage, merged, tokens, lat, lon in rows:
        key = ("case", cid)
        if stage in OPEN_STAGES and merged is None:
            index.add(Doc(key, frozenset(tokens.split()), lat, lon, parties.get(cid, frozenset())))
        else:
            index.remove(key)
    leads = Lead.objects.all() if since is None else Lead.objects.filter(updated_at__gte=since)
    if since is None:
        leads = leads.filter(status=LeadStatus.OPEN)
    lrows = list(leads.values_list("id", "status", "tokens", "lat", "lon"))
    lparties = _party_map("lead", [r[0] for r in lrows])
    for lid, status, tokens, lat, lon in lrows:
        key = ("lead", lid)
        if status == LeadStatus.OPEN:
            index.add(Doc(key, frozenset(tokens.split()), lat, lon, lparties.get(lid, frozenset())))
        else:
            index.remove(key)


def current_index() -> DuplicateIndex:
    """This process's index, brought up to date with the database."""
    with _state.lock:
        started = timezone.now()
        if _state.index is None:
            index = DuplicateIndex()
            _apply(index, None)
            _state.index = index
        else:
            assert _state.watermark is not None
            _apply(_state.index, _state.watermark - SYNC_SLACK)
        _state.watermark = started
        return _state.index


def reset() -> None:
    """Forget the index (tests that roll back the database call this)."""
    with _state.lock:
        _state.index, _state.watermark = None, None


def _query_doc(text: str, address: str, lat: float, lon: float, parties: list[PartyIn]) -> Doc:
    return Doc(
        ("query", 0),
        frozenset(tokenize(f"{text} {address}")),
        lat,
        lon,
        party_keys(
            names=[p.name for p in parties],
            id_numbers=[p.id_number for p in parties],
            phones=[p.phone for p in parties],
        ),
    )


def _visible(actor: Actor, matches: list[Match], limit: int) -> list[dict[str, Any]]:
    case_ids = [m.key[1] for m in matches if m.key[0] == "case"]  # type: ignore[index]
    lead_ids = [m.key[1] for m in matches if m.key[0] == "lead"]  # type: ignore[index]
    cases = {c.pk: c for c in access.visible_cases(actor).filter(pk__in=case_ids)}
    leads = {lead.pk: lead for lead in access.visible_leads(actor).filter(pk__in=lead_ids)}
    out = []
    for m in matches:
        kind, oid = m.key  # type: ignore[misc]
        obj = cases.get(oid) if kind == "case" else leads.get(oid)
        if obj is None:
            continue
        out.append(
            {
                "kind": kind,
                "id": oid,
                "title": obj.title if kind == "case" else obj.text[:40],
                "score": round(m.score, 3),
                "text_similarity": round(m.text, 3),
                "distance_m": round(m.distance_m),
                "same_party": m.party > 0,
            }
        )
        if len(out) >= limit:
            break
    return out


def find_duplicates(
    *,
    actor: Actor,
    text: str,
    address: str,
    lat: float,
    lon: float,
    parties: list[PartyIn],
    exclude: tuple[str, int] | None = None,
    limit: int = 5,
) -> list[dict[str, Any]]:
    """Open cases and leads that may be the same dispute, best first, among those the actor
    may see."""
    query = _query_doc(text, address, lat, lon, parties)
    if exclude is not None:
        query = Doc(exclude, query.tokens, lat, lon, query.parties)
    matches = current_index().query(query, limit=limit * 10)
    return _visible(actor, matches, limit)


def duplicates_of_lead(*, actor: Actor, lead: Lead, limit: int = 5) -> list[dict[str, Any]]:
    """Likely duplicates of a stored lead."""
    parties = [PartyIn(p.name, p.kind, p.role, p.id_number, p.phone) for p in lead.parties.all()]
    return find_duplicates(
        actor=actor,
        text=lead.text,
        address=lead.address,
        lat=lead.lat,
        lon=lead.lon,
        parties=parties,
        exclude=("lead", lead.pk),
        limit=limit,
    )


def duplicates_of_case(*, actor: Actor, case: Case, limit: int = 5) -> list[dict[str, Any]]:
    """Likely duplicates of a stored case."""
    parties = [PartyIn(p.name, p.kind, p.role, p.id_number, p.phone) for p in case.parties.all()]
    return find_duplicates(
        actor=actor,
        text=f"{case.title} {case.description}",
        address=case.address,
        lat=case.lat,
        lon=case.lon,
        parties=parties,
        exclude=("case", case.pk),
        limit=limit,
    )


def repeats_for(
    *,
    actor: Actor,
    lat: float,
    lon: float,
    address: str,
    parties: list[PartyIn],
    now: datetime,
    exclude: list[int] | None = None,
) -> list[dict[str, Any]]:
    """Cases in the last 90 days at the same place or between the same parties that the actor
    may see — the "repeat dispute" flag."""
    qs = repeat_cases(
        lat=lat,
        lon=lon,
        address_key=normalize_address(address),
        id_numbers=[p.id_number for p in parties if p.id_number],
        phones=[p.phone for p in parties if p.phone],
        since=now - timedelta(days=REPEAT_DAYS),
        exclude=exclude,
    )
    visible = access.visible_cases(actor).filter(pk__in=qs.values("pk")).order_by("-created_at")
    return [
        {
            "id": c.pk,
            "number": c.number,
            "title": c.title,
            "stage": c.stage,
            "created_at": c.created_at,
        }
        for c in visible[:10]
    ]

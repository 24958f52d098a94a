"""The incident timeline: one line per status change, assignment, arrival, note, task."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.utils.translation import gettext as _

from jingwu.audit import services as audit
from jingwu.errors import Invalid
from jingwu.incidents.models import EntryKind, Incident, IncidentShare, TimelineEntry
from jingwu.orgs.services import Actor


def duration_text(seconds: float) -> str:
    """45 秒 · 2 分 10 秒 · 1 小时 5 分."""
    s = max(int(round(seconds)), 0)
    if s < 60:
        return _("%(s)s 秒") % {"s": s}
    if s < 3600:
        m, r = divmod(s, 60)
        return _("%(m)s 分 %(s)s 秒") % {"m": m, "s": r} if r else _("%(m)s 分钟") % {"m": m}
    h, r = divmod(s, 3600)
    return _("%(h)s 小时 %(m)s 分") % {"h": h, "m": r // 60}


def new_entry(
    *,
    incident: Incident,
    kind: str,
    text: str,
    at: datetime,
    actor: Actor | None = None,
    actor_name: str = "",
    **data: Any,
) -> TimelineEntry:
    """One line, not saved yet (``add_entry`` saves it; the intake inserts several at once)."""
    user: AbstractBaseUser | AnonymousUser | None = actor.user if actor else None
    return TimelineEntry(
        incident=incident,
        kind=kind,
        text=text,
        at=at,
        actor=user if user is not None and user.is_authenticated else None,
        actor_name=actor_name or (actor.name if actor else ""),
        data=data,
    )


def add_entry(**fields: Any) -> TimelineEntry:
    """Append one line (inside the caller's transaction); ``fields`` as for :func:`new_entry`."""
    entry = new_entry(**fields)
    entry.save(force_insert=True)
    return entry


def add_note(*, actor: Actor, incident: Incident, text: str, now: datetime) -> TimelineEntry:
    """A free-text note by anyone who may see the incident (partners included)."""
    text = (text or "").strip()
    if not text:
        raise Invalid(_("备注不能为空。"), loc=["text"])
    if len(text) > 2000:
        raise Invalid(_("备注不能超过 2000 字。"), loc=["text"])
    entry = add_entry(incident=incident, kind=EntryKind.NOTE, text=text, at=now, actor=actor)
    audit.record(
        action="create",
        component="incidents",
        user=actor.user,
        organization_id=incident.organization_id,
        object_type="incident_note",
        object_id=entry.pk,
    )
    return entry


def list_timeline(*, incident: Incident) -> list[dict[str, Any]]:
    """The incident's timeline, oldest first."""
    return [
        {
            "id": e.pk,
            "at": e.at,
            "kind": e.kind,
            "kind_label": e.get_kind_display(),
            "actor": e.actor_name,
            "text": e.text,
            "data": e.data,
        }
        for e in TimelineEntry.objects.filter(incident=incident).order_by("at", "id")
    ]


@dataclass(frozen=True)
class PlannedShare:
    """A share of an incident with an organization: who, the timeline's text, the audit's
    component and detail; by the acting person (``by_actor``) or by a rule (no user)."""

    organization_id: int
    organization_name: str
    text: str
    component: str
    detail: str
    actor_name: str = ""
    by_actor: bool = False


def share_rows(
    *, incident: Incident, share: PlannedShare, at: datetime, actor: Actor | None
) -> tuple[IncidentShare, TimelineEntry]:
    """A share's row and its timeline line, not saved yet."""
    by = actor if share.by_actor else None
    row = IncidentShare(
        incident=incident, organization_id=share.organization_id, shared_at=at,
        shared_by=by.user if by is not None and by.user.is_authenticated else None,
    )  # fmt: skip
    line = new_entry(
        incident=incident, kind=EntryKind.SHARED, at=at, actor=by, actor_name=share.actor_name,
        text=share.text, organization_id=share.organization_id,
    )  # fmt: skip
    return row, line


def audit_share(*, incident: Incident, share: PlannedShare, actor: Actor | None) -> None:
    """The audit row of a share (inside the transaction that writes it)."""
    audit.record(
        action="create", component=share.component,
        user=actor.user if actor is not None and share.by_actor else None,
        organization_id=share.organization_id, object_type="incident_share",
        object_id=incident.pk, detail=share.detail[:200],
    )  # fmt: skip


def add_share(
    *, incident: Incident, share: PlannedShare, at: datetime, actor: Actor | None = None
) -> bool:
    """Share a stored incident with one organization: the share, its timeline line and its
    audit row (a new incident's planned shares are inserted with it, by the intake).

    Returns False (and writes nothing) when it is already shared with it. Call inside the
    incident's transaction.
    """
    row, line = share_rows(incident=incident, share=share, at=at, actor=actor)
    _share, created = IncidentShare.objects.get_or_create(
        incident=incident,
        organization_id=share.organization_id,
        defaults={"shared_at": row.shared_at, "shared_by": row.shared_by},
    )
    if not created:
        return False
    line.save(force_insert=True)
    audit_share(incident=incident, share=share, actor=actor)
    return True

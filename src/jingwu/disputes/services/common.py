"""Pieces the dispute use cases share: input cleaning, stage deadlines, uploads, timeline rows,
audit and event helpers. Not use cases themselves: they never open a transaction.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from jingwu import events
from jingwu.audit import services as audit
from jingwu.disputes.models import (
    TERMINAL_STAGES,
    Attachment,
    Case,
    Participant,
    Stage,
    StageLimit,
    TimelineEntry,
)
from jingwu.disputes.services import access
from jingwu.errors import Invalid
from jingwu.orgs.services import Actor

COMPONENT = "disputes"
DEFAULT_STAGE_DAYS = {
    Stage.REGISTERED: 3,
    Stage.SCREENING: 7,
    Stage.MEDIATING: 15,
    Stage.SETTLED: 7,
    Stage.FOLLOW_UP: 30,
    Stage.FAILED: 5,
}
ALLOWED_UPLOADS = {
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "application/pdf": (b"%PDF",),
    "text/plain": (),
}
MAX_ATTACHMENTS = 5


@dataclass(frozen=True)
class Upload:
    """A file as received, before it is stored."""

    name: str
    content_type: str
    data: bytes


def stage_days(stage: str) -> int | None:
    """Days allowed in a stage: the configured ``StageLimit`` or the default; None if final."""
    if stage in TERMINAL_STAGES:
        return None
    row = StageLimit.objects.filter(stage=stage).values_list("days", flat=True).first()
    return row if row is not None else DEFAULT_STAGE_DAYS.get(Stage(stage))


def due_for(stage: str, entered: datetime) -> datetime | None:
    """When a case entering ``stage`` at ``entered`` becomes overdue."""
    days = stage_days(stage)
    return entered + timedelta(days=days) if days is not None else None


def clean_text(value: Any, field: str, *, required: bool = True, max_len: int = 4000) -> str:
    """Stripped text from input, or Invalid naming the field."""
    text = str(value or "").strip()
    if required and not text:
        raise Invalid(_("此字段为必填项。"), loc=[field])
    if len(text) > max_len:
        raise Invalid(_("文本过长。"), loc=[field])
    return text


def clean_choice(value: Any, choices: type, field: str, message: str) -> str:
    """A choice code from input, or Invalid with ``message`` naming the field."""
    if value not in choices.values:
        raise Invalid(message % {"v": value}, loc=[field])
    return str(value)


def clean_uploads(raw: Any, field: str = "attachments") -> list[Upload]:
    """Attachments from the API: ``[{"name", "content_type", "data_base64"}]``."""
    if not raw:
        return []
    if not isinstance(raw, list):
        raise Invalid(_("此处应为列表。"), loc=[field])
    out = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise Invalid(_("附件应为对象。"), loc=[field, i])
        try:
            data = base64.b64decode(str(item.get("data_base64") or ""), validate=True)
        except (binascii.Error, ValueError):
            raise Invalid(_("附件内容不是有效的 base64。"), loc=[field, i, "data_base64"]) from None
        out.append(
            Upload(str(item.get("name") or "file"), str(item.get("content_type") or ""), data)
        )
    return check_uploads(out, field)


def check_uploads(files: list[Upload], field: str = "attachments") -> list[Upload]:
    """Refuse too many, too large, empty or unexpected files (type checked by magic bytes)."""
    if len(files) > MAX_ATTACHMENTS:
        raise Invalid(_("附件过多（最多 %(n)d 个）。") % {"n": MAX_ATTACHMENTS}, loc=[field])
    for i, f in enumerate(files):
        magic = ALLOWED_UPLOADS.get(f.content_type)
        if magic is None:
            raise Invalid(_("只能上传 JPEG、PNG、PDF 或文本文件。"), loc=[field, i, "content_type"])
        if not f.data or len(f.data) > settings.MAX_BODY_BYTES:
            raise Invalid(_("附件为空或过大。"), loc=[field, i])
        if magic and not any(f.data.startswith(m) for m in magic):
            raise Invalid(_("附件内容与其类型不符。"), loc=[field, i, "content_type"])
    return files


def store_uploads(files: list[Upload], *, actor: Actor, now: datetime, **owner: Any) -> None:
    """Store attachments for a timeline entry (``entry=…``) or a lead (``lead=…``)."""
    Attachment.objects.bulk_create(
        [
            Attachment(
                name=f.name[:120],
                content_type=f.content_type,
                size=len(f.data),
                sha256=hashlib.sha256(f.data).hexdigest(),
                data=f.data,
                uploaded_by_id=actor.person_id,
                uploaded_at=now,
                **owner,
            )
            for f in files
        ]
    )


def org_of(actor: Actor) -> int | None:
    return actor.primary_organization_id


def add_entry_row(
    case: Case,
    *,
    kind: str,
    text: str,
    actor: Actor | None,
    now: datetime,
    data: dict[str, Any] | None = None,
    happened_at: datetime | None = None,
) -> TimelineEntry:
    """Write one timeline entry (no checks: for this package's use cases)."""
    return TimelineEntry.objects.create(
        case=case,
        kind=kind,
        text=text,
        data=data or {},
        author_id=actor.person_id if actor else None,
        author_org_id=org_of(actor) if actor else None,
        happened_at=happened_at or now,
        created_at=now,
    )


def stamp() -> datetime:
    """The row-change time: the wall clock, never a use case's ``now`` (which tests and the demo
    set in the past), because every process's duplicate index syncs on ``updated_at``."""
    return timezone.now()


def touch(case: Case, now: datetime) -> None:
    """Mark the case changed (the duplicate index of every process syncs on ``updated_at``)."""
    case.updated_at = stamp()
    Case.objects.filter(pk=case.pk).update(updated_at=case.updated_at)


def publish_case(case: Case, kind: str, *, actor: Actor | None = None) -> None:
    """Tell the jurisdiction's police units and the participants that a case changed."""
    users = set(
        Participant.objects.filter(case=case, person__user__isnull=False).values_list(
            "person__user_id", flat=True
        )
    )
    audiences = access.audiences_for(case) + [f"user:{u}" for u in sorted(users)]
    events.publish(kind, audiences=audiences, id=case.pk, stage=case.stage, risk=case.risk)


def audit_case(
    action: str, actor: Actor, case: Case, detail: str = "", request: Any = None
) -> None:
    audit.record(
        action=action,
        component=COMPONENT,
        user=actor.user,
        organization_id=org_of(actor),
        object_type="dispute_case",
        object_id=case.pk,
        detail=detail,
        request=request,
    )


def rescore(case: Case, now: datetime) -> None:
    from jingwu.disputes.services import risk

    risk.rescore_case(case=case, now=now)

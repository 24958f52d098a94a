"""Use cases that move a case along: stage transitions, participants, parties, timeline
entries, merging duplicates.

Stage changes are one conditional UPDATE on the current stage, so two people moving the same
case do not both win. Every write is audited; events go out after commit.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Max
from django.utils.translation import gettext as _

from jingwu.disputes.models import (
    TERMINAL_STAGES,
    TRANSITIONS,
    USER_ENTRY_KINDS,
    Case,
    EntryKind,
    Participant,
    ParticipantRole,
    Party,
    Referral,
    Stage,
    TimelineEntry,
)
from jingwu.disputes.services import access
from jingwu.disputes.services.common import (
    Upload,
    add_entry_row,
    audit_case,
    check_uploads,
    clean_choice,
    clean_text,
    due_for,
    publish_case,
    rescore,
    stamp,
    store_uploads,
    touch,
)
from jingwu.disputes.services.parties import clean_party, save_parties
from jingwu.errors import Conflict, Invalid, InvalidTransition
from jingwu.orgs.models import Membership, Person
from jingwu.orgs.services import Actor


def transition(
    *,
    actor: Actor,
    case_id: int,
    to: Any,
    reason: Any = "",
    referral_to: Any = "",
    now: datetime,
) -> Case:
    """Move a case to its next stage, if the lifecycle allows it from where it is now.

    调解不成 needs a reason; 移交 needs the body it goes to and a reason. The move is one
    conditional UPDATE on the current stage, so two people moving the same case do not both win.
    """
    target = clean_choice(to, Stage, "to", _("未知的阶段：%(v)s"))
    case = access.get_case(actor=actor, case_id=case_id)
    access.require_manage(actor, case)
    if target not in TRANSITIONS[case.stage]:
        raise InvalidTransition(
            _("不能从「%(a)s」转到「%(b)s」。")
            % {"a": Stage(case.stage).label, "b": Stage(target).label},
            loc=["to"],
        )
    why = clean_text(reason, "reason", required=target in (Stage.FAILED, Stage.REFERRED))
    values: dict[str, Any] = {
        "stage": target,
        "stage_entered_at": now,
        "due_at": due_for(target, now),
        "updated_at": stamp(),
    }
    if target == Stage.SETTLED:
        values |= {"settled_at": now, "settled_from": case.stage}
    if target in (Stage.FAILED, Stage.REFERRED):
        values["outcome_reason"] = why
    if target == Stage.REFERRED:
        values["referral_to"] = clean_choice(
            referral_to,
            Referral,
            "referral_to",
            _("请选择移交去向：%(v)s（可选 litigation、arbitration、other_body）"),
        )
    if target in TERMINAL_STAGES:
        values["closed_at"] = now
    moved = Case.objects.filter(pk=case.pk, stage=case.stage).update(**values)
    if moved != 1:
        raise InvalidTransition(_("案件阶段已被他人更新，请刷新后重试。"), loc=["to"])
    previous = case.stage
    case.refresh_from_db()
    add_entry_row(
        case,
        kind=EntryKind.STAGE,
        text=why,
        actor=actor,
        now=now,
        data={"from": previous, "to": target, "referral_to": values.get("referral_to", "")},
    )
    audit_case("update", actor, case, detail=f"stage {previous}->{target}")
    rescore(case, now)
    publish_case(case, "dispute.case_updated", actor=actor)
    return case


def add_participant(
    *, actor: Actor, case_id: int, username: Any, role: Any, now: datetime
) -> Participant:
    """Add a person (by account) to a case in a role; they then see it and its timeline.

    Only people of the case's own branch can be added, so a case never leaks to another
    district through its participant list.
    """
    code = clean_choice(
        role,
        ParticipantRole,
        "role",
        _("未知的参与角色：%(v)s（可选 lead_mediator、co_mediator、party、observer、expert）"),
    )
    case = access.get_case(actor=actor, case_id=case_id)
    access.require_manage(actor, case)
    if case.stage in TERMINAL_STAGES:
        raise Conflict(_("案件已结束，不能再添加参与人。"), loc=["username"])
    person = _person_for(username, case)
    membership = (
        Membership.objects.filter(person=person)
        .order_by("id")
        .values_list("organization_id", flat=True)
    )
    if Participant.objects.filter(case=case, person=person).exists():
        raise Conflict(_("此人已是本案参与人。"), loc=["username"])
    p = Participant.objects.create(
        case=case, person=person, organization_id=membership.first(), role=code, added_at=now
    )
    add_entry_row(
        case,
        kind=EntryKind.PARTICIPANT,
        text=f"{person.name} · {p.get_role_display()}",
        actor=actor,
        now=now,
        data={"person": person.pk, "role": code},
    )
    touch(case, now)
    audit_case("update", actor, case, detail=f"participant +{person.pk} {code}")
    publish_case(case, "dispute.case_updated", actor=actor)
    return p


def _person_for(username: Any, case: Case) -> Person:
    name = str(username or "").strip()
    if not name:
        raise Invalid(_("请填写账号。"), loc=["username"])
    user = get_user_model().objects.filter(username=name, is_active=True).first()
    person = Person.objects.filter(user=user).first() if user else None
    if person is None:
        raise Invalid(_("账号不存在：%(username)s") % {"username": name}, loc=["username"])
    from jingwu.orgs.models import Organization

    parents = dict(Organization.objects.values_list("id", "parent_id"))
    for org_id in Membership.objects.filter(person=person).values_list(
        "organization_id", flat=True
    ):
        chain, seen = org_id, set()
        while chain is not None and chain not in seen:
            if chain == case.branch_org_id:
                return person
            seen.add(chain)
            chain = parents.get(chain)
    raise Invalid(_("此人不属于本分局的单位，不能加入本案。"), loc=["username"])


def add_party(*, actor: Actor, case_id: int, party: Any, now: datetime) -> Party:
    """Add a party to an open case."""
    data = clean_party(party, ["party"])
    case = access.get_case(actor=actor, case_id=case_id)
    access.require_manage(actor, case)
    if case.stage in TERMINAL_STAGES:
        raise Conflict(_("案件已结束，不能再添加当事方。"), loc=["party"])
    (row,) = save_parties([data], case=case)
    touch(case, now)
    audit_case("update", actor, case, detail="party +1")
    rescore(case, now)
    return row


def add_entry(
    *,
    actor: Actor,
    case_id: int,
    kind: Any,
    text: Any,
    happened_at: datetime | None = None,
    attachments: list[Upload] | None = None,
    now: datetime,
) -> TimelineEntry:
    """Record a step (contact, inspection, finding, session, agreement, follow-up, note)."""
    if kind not in USER_ENTRY_KINDS:
        raise Invalid(_("未知的记录类别：%(v)s") % {"v": kind}, loc=["kind"])
    code = str(kind)
    body = clean_text(text, "text")
    files = check_uploads(attachments or [])
    if happened_at is not None and happened_at > now + timedelta(minutes=5):
        raise Invalid(_("发生时间不能晚于现在。"), loc=["happened_at"])
    case = access.get_case(actor=actor, case_id=case_id)
    if case.stage in TERMINAL_STAGES:
        raise Conflict(_("案件已结案，不能再添加进展记录。"), loc=["kind"])
    access.require_timeline_writer(actor, case)
    entry = add_entry_row(case, kind=code, text=body, actor=actor, now=now, happened_at=happened_at)
    store_uploads(files, actor=actor, now=now, entry=entry)
    touch(case, now)
    audit_case("update", actor, case, detail=f"entry {code}")
    rescore(case, now)
    publish_case(case, "dispute.case_updated", actor=actor)
    return entry


def merge_case(*, actor: Actor, case_id: int, into_id: int, now: datetime) -> Case:
    """Close a duplicate case into another; its parties and participants move over."""
    source = access.get_case(actor=actor, case_id=case_id)
    if int(case_id) == int(into_id):
        raise Invalid(_("不能将案件并入自身。"), loc=["into"])
    target = access.get_case(actor=actor, case_id=into_id)
    access.require_manage(actor, source)
    access.require_manage(actor, target)
    if source.stage in TERMINAL_STAGES or target.stage in TERMINAL_STAGES:
        raise Conflict(_("已结束的案件不能并案。"), loc=["into"])
    moved = Case.objects.filter(pk=source.pk, stage=source.stage).update(
        stage=Stage.CLOSED,
        merged_into=target,
        closed_at=now,
        due_at=None,
        updated_at=stamp(),
        outcome_reason=_("并入案件 %(n)s") % {"n": target.number},
    )
    if moved != 1:
        raise InvalidTransition(_("案件阶段已被他人更新，请刷新后重试。"), loc=["into"])
    known = set(target.parties.values_list("name", "id_number"))
    for p in source.parties.all():
        if (p.name, p.id_number) not in known:
            Party.objects.create(
                case=target,
                kind=p.kind,
                role=p.role,
                name=p.name,
                id_number=p.id_number,
                phone=p.phone,
                address=p.address,
            )
    present = set(target.participants.values_list("person_id", flat=True))
    for p in source.participants.exclude(person_id__in=present):
        Participant.objects.create(
            case=target,
            person_id=p.person_id,
            organization_id=p.organization_id,
            role=p.role,
            added_at=now,
        )
    add_entry_row(
        target,
        kind=EntryKind.MERGE,
        text=source.title,
        actor=actor,
        now=now,
        data={"case": source.pk},
    )
    add_entry_row(
        source,
        kind=EntryKind.MERGE,
        text=target.title,
        actor=actor,
        now=now,
        data={"into": target.pk},
    )
    touch(target, now)
    audit_case("update", actor, source, detail=f"merged into {target.pk}")
    audit_case("update", actor, target, detail=f"merged {source.pk}")
    rescore(target, now)
    publish_case(source, "dispute.case_updated", actor=actor)
    publish_case(target, "dispute.case_updated", actor=actor)
    return target


def last_agreement_version(case: Case) -> int:
    """The highest agreement version of a case, 0 if none."""
    return case.agreements.aggregate(v=Max("version"))["v"] or 0

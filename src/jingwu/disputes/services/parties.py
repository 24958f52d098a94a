"""Parties: validating what people type about them, and showing them to whoever reads.

ID numbers (GB 11643, with the check digit) and phone numbers are personal data: they are
checked on the way in, masked on the way out for roles that do not need them
(``orgs.services.mask_id``/``mask_tel``), and every read of them is audited by the caller.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from jingwu.disputes.models import Party, PartyKind, PartyRole
from jingwu.engine.idnumber import InvalidIdNumber, parse_id_number
from jingwu.errors import Invalid
from jingwu.orgs.services import Actor, mask_id, mask_tel

_PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")
MAX_PARTIES = 20

_ID_REASONS = {
    "length": lambda: _("身份证号应为 18 位。"),
    "format": lambda: _("身份证号格式不正确。"),
    "region": lambda: _("身份证号的地区码不存在。"),
    "birth_date": lambda: _("身份证号中的出生日期无效。"),
    "check_digit": lambda: _("身份证号校验位不正确。"),
}


@dataclass(frozen=True)
class PartyIn:
    """A party as entered, after validation."""

    name: str
    kind: str = PartyKind.PERSON
    role: str = PartyRole.APPLICANT
    id_number: str = ""
    phone: str = ""
    address: str = ""


def clean_party(raw: Any, loc: list[str | int]) -> PartyIn:
    """One party from user input, or Invalid naming the field."""
    if not isinstance(raw, dict):
        raise Invalid(_("当事方应为对象。"), loc=loc)
    name = str(raw.get("name") or "").strip()
    if not name:
        raise Invalid(_("请填写当事方姓名或名称。"), loc=[*loc, "name"])
    if len(name) > 120:
        raise Invalid(_("文本过长。"), loc=[*loc, "name"])
    kind = str(raw.get("kind") or PartyKind.PERSON)
    if kind not in PartyKind.values:
        raise Invalid(_("未知的当事方类别：%(v)s") % {"v": kind}, loc=[*loc, "kind"])
    role = str(raw.get("role") or PartyRole.APPLICANT)
    if role not in PartyRole.values:
        raise Invalid(
            _("未知的当事方身份：%(v)s（可选 applicant、respondent、third_party）") % {"v": role},
            loc=[*loc, "role"],
        )
    id_number = str(raw.get("id_number") or "").strip().upper()
    if id_number:
        if kind != PartyKind.PERSON:
            raise Invalid(_("单位当事方不填身份证号。"), loc=[*loc, "id_number"])
        try:
            parse_id_number(id_number)
        except InvalidIdNumber as exc:
            msg = _ID_REASONS.get(exc.reason, lambda: _("身份证号无效。"))()
            raise Invalid(msg, loc=[*loc, "id_number"]) from None
    phone = re.sub(r"[\s]", "", str(raw.get("phone") or ""))
    if phone and not _PHONE.match(phone):
        raise Invalid(_("电话号码格式不正确。"), loc=[*loc, "phone"])
    address = str(raw.get("address") or "").strip()[:200]
    return PartyIn(name, kind, role, id_number, phone, address)


def clean_parties(raw: Any, loc: str = "parties") -> list[PartyIn]:
    """A list of parties from user input (None means none)."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise Invalid(_("此处应为列表。"), loc=[loc])
    if len(raw) > MAX_PARTIES:
        raise Invalid(_("当事方过多（最多 %(n)d 个）。") % {"n": MAX_PARTIES}, loc=[loc])
    return [clean_party(p, [loc, i]) for i, p in enumerate(raw)]


def save_parties(parties: Iterable[PartyIn], **owner: Any) -> list[Party]:
    """Store parties for a case or a lead (``case=…`` or ``lead=…``)."""
    return Party.objects.bulk_create(
        [
            Party(
                name=p.name,
                kind=p.kind,
                role=p.role,
                id_number=p.id_number,
                phone=p.phone,
                address=p.address,
                **owner,
            )
            for p in parties
        ]
    )


def party_view(actor: Actor, party: Party) -> dict[str, Any]:
    """A party as this actor may see it (ID number and phone masked for non-police roles)."""
    return {
        "id": party.pk,
        "name": party.name,
        "kind": party.kind,
        "role": party.role,
        "role_label": party.get_role_display(),
        "id_number": mask_id(actor, party.id_number),
        "phone": mask_tel(actor, party.phone),
    }

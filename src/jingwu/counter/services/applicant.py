"""Checking a citizen's real-name details: name, ID number (GB 11643) and phone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _

from jingwu.engine.idnumber import InvalidIdNumber, parse_id_number
from jingwu.errors import Invalid

_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_LANDLINE = re.compile(r"0[0-9]{2,3}-?[0-9]{7,8}")
_LAST4 = re.compile(r"[0-9]{3}[0-9X]")


def id_number_message(reason: str) -> str:
    """The user's-language message for an ``InvalidIdNumber.reason``."""
    messages = {
        "length": _("身份证号应为18位。"),
        "format": _("身份证号格式不正确：前17位应为数字，最后一位为数字或X。"),
        "region": _("身份证号的地区码不存在。"),
        "birth_date": _("身份证号中的出生日期无效。"),
        "check_digit": _("身份证号校验位不正确，请核对。"),
    }
    return messages.get(reason, _("身份证号无效。"))


@dataclass(frozen=True)
class Applicant:
    """Checked, normalised real-name details."""

    name: str
    id_number: str
    phone: str


def clean_applicant(
    *, name: object, id_number: object, phone: object, today: date, phone_required: bool = True
) -> Applicant:
    """Normalise and check the three fields; every failing field is reported at once."""
    errors: list[dict[str, object]] = []
    clean_name = str(name or "").strip()
    if not clean_name:
        errors.append({"msg": _("请填写姓名。"), "loc": ["name"]})
    elif len(clean_name) > 64:
        errors.append({"msg": _("姓名过长。"), "loc": ["name"]})
    number = str(id_number or "").strip().upper()
    if not number:
        errors.append({"msg": _("请填写身份证号。"), "loc": ["id_number"]})
    else:
        try:
            number = parse_id_number(number, today=today).number
        except InvalidIdNumber as exc:
            errors.append({"msg": id_number_message(exc.reason), "loc": ["id_number"]})
    tel = re.sub(r"[\s+]", "", str(phone or ""))
    if tel.startswith("86") and len(tel) == 13:
        tel = tel[2:]
    if not tel:
        if phone_required:
            errors.append({"msg": _("请填写手机号码。"), "loc": ["phone"]})
    elif not (_MOBILE.fullmatch(tel) or _LANDLINE.fullmatch(tel)):
        errors.append({"msg": _("手机号码格式不正确：请输入11位手机号码。"), "loc": ["phone"]})
    if errors:
        raise Invalid(errors[0]["msg"], errors=errors)  # type: ignore[arg-type]
    return Applicant(clean_name, number, tel)


def clean_last4(value: object) -> str:
    """The last four characters of an ID number as typed (X upper-cased), or Invalid."""
    last4 = str(value or "").strip().upper()
    if not _LAST4.fullmatch(last4):
        raise Invalid(_("请输入身份证号的后四位（数字或X）。"), loc=["id_last4"])
    return last4

"""Configuration of call handling: incident types, priorities, sources, response targets.

Response targets (seconds from the call to the first unit on scene) come from
``JINGWU_RESPONSE_TARGETS`` (e.g. ``P1=180,P2=300,P3=900,P4=1800``); the defaults are the
article's goals for a business district: P1 within 3 minutes, P2 within 5, P3 within 15.
"""

from __future__ import annotations

import os
from functools import cache

from django.utils import translation
from django.utils.translation import gettext as _

from jingwu.errors import Invalid
from jingwu.incidents.models import Disposition, IncidentType, Priority, Source

DEFAULT_TARGETS_S = {"P1": 180, "P2": 300, "P3": 900, "P4": 1800}

# Other names callers' systems use for the same types (the engine's labels among them).
_TYPE_ALIASES = {
    "人员走失": "lost_person",
    "走失人员": "lost_person",
    "破坏生态": "eco_damage",
    "群众求助": "help",
    "打架": "fight",
    "斗殴": "fight",
    "醉酒": "drunk",
}
_SOURCE_ALIASES = {"walk-in": "walk_in", "video-patrol": "video_patrol"}


@cache
def response_targets() -> dict[str, int]:
    """Seconds from call to arrival allowed per priority."""
    out = dict(DEFAULT_TARGETS_S)
    for part in os.environ.get("JINGWU_RESPONSE_TARGETS", "").split(","):
        key, _sep, value = part.partition("=")
        if key.strip().upper() in out and value.strip().isdigit():
            out[key.strip().upper()] = int(value)
    return out


@cache
def _labels(choices: type, language: str | None) -> dict[str, str]:
    """Label → code in ``language`` and in Chinese (labels are fixed: kept per language)."""
    with translation.override(language):
        by_label = {str(label): code for code, label in choices.choices}
    with translation.override(None):  # the Chinese labels, whatever the caller's language
        by_label.update({str(label): code for code, label in choices.choices})
    return by_label


@cache
def _codes(choices: type) -> frozenset[str]:
    return frozenset(choices.values)  # type: ignore[attr-defined]


def _choice(value: object, choices: type, aliases: dict[str, str], field: str) -> str:
    text = str(value or "").strip()
    codes = _codes(choices)
    by_label = _labels(choices, translation.get_language())
    code = text if text in codes else by_label.get(text) or aliases.get(text)
    if code is None:
        code = text.lower() if text.lower() in codes else None
    if code is None:
        allowed = "、".join(str(label) for _c, label in choices.choices)
        raise Invalid(
            _("未知的取值“%(v)s”，可选：%(allowed)s") % {"v": text[:40], "allowed": allowed},
            loc=[field],
        )
    return str(code)


def clean_type(value: object) -> str:
    """An incident type code from its code or its Chinese label (纠纷, 盗窃…)."""
    return _choice(value, IncidentType, _TYPE_ALIASES, "type")


def clean_priority(value: object) -> str:
    """P1…P4 (case-insensitive)."""
    text = str(value or "").strip().upper()
    if text not in _codes(Priority):
        raise Invalid(_("优先级必须是 P1、P2、P3 或 P4。"), loc=["priority"])
    return text


def clean_source(value: object) -> str:
    """110, walk_in, video_patrol or partner (or their Chinese labels)."""
    return _choice(value, Source, _SOURCE_ALIASES, "source")


def clean_disposition(value: object) -> str:
    return _choice(value, Disposition, {}, "disposition")

"""Template filters for the figures page: seconds as m:ss, shares and changes as percent."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def mmss(seconds: Any) -> str:
    if seconds is None:
        return "–"
    s = int(round(float(seconds)))
    return f"{s // 60}:{s % 60:02d}"


@register.filter
def pct(value: Any) -> str:
    if value is None:
        return "–"
    return f"{float(value) * 100:+.1f}%" if float(value) < 0 or float(value) > 0 else "0.0%"


@register.filter
def share(value: Any) -> str:
    return "–" if value is None else f"{float(value) * 100:.1f}%"


@register.filter
def get(d: Any, key: str) -> Any:
    return d.get(key) if isinstance(d, dict) else None

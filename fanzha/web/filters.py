"""The templates' Jinja filters: links, times in China time, percentages, metadata
values, and the bidi controls taken out of every printed value."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from archive.times import CST, offset_of


def safe_href(url: str | None) -> str | None:
    """``url`` when it is an http(s) link; None otherwise (javascript:, data:, file:…)."""
    if not url:
        return None
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return None
    return url.strip() if scheme in ("http", "https") else None


def _local(value: Any) -> datetime | str | None:
    """A datetime in China time, or ISO 8601 text as ``archive.times`` wrote it (in its
    own zone; a date alone is a China day); text that is no date comes back as is."""
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return value
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=CST)
    if isinstance(value, datetime):
        return value.astimezone(CST) if value.tzinfo else value
    return None


def day(value: Any) -> str:
    """An ISO date-time (or datetime) as YYYY-MM-DD in China time; '' for none."""
    local = _local(value) if value else None
    if isinstance(local, datetime):
        return local.strftime("%Y-%m-%d")
    return local[:10] if local else ""


def minute(value: Any) -> str:
    """An ISO date-time (or datetime) as YYYY-MM-DD HH:MM in China time, or in the zone
    the text names (then shown after it); a date alone stays a date; '' for none."""
    if isinstance(value, str) and len(value.strip()) == 10:
        return value.strip()
    local = _local(value) if value else None
    if isinstance(local, datetime):
        offset = offset_of(local)
        return local.strftime("%Y-%m-%d %H:%M") + (f" {offset}" if offset else "")
    return local[:16] if local else ""


def meta_value(value: Any) -> str:
    """A metadata value for display: dates in China time, lists one item a line."""
    if value is None or value == "":
        return "—"
    if isinstance(value, list | tuple):
        return "\n".join(meta_value(v) for v in value) or "—"
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] == "T":
        local = _local(value)
        if isinstance(local, datetime):
            return local.strftime("%Y-%m-%d %H:%M")
    return str(value)


def after(value: Any, first: Any) -> str:
    """How long after ``first`` a copy was published: "same day", "+3 days", "+2 h"."""
    a, b = _local(value), _local(first)
    if (
        not isinstance(a, datetime)
        or not isinstance(b, datetime)
        or a.tzinfo is None
        or b.tzinfo is None
    ):
        return ""
    delta = a - b
    days = delta.days
    if days >= 1:
        return f"+{days} day{'s' if days > 1 else ''}"
    if delta.total_seconds() < 0:
        return "earlier"
    hours = int(delta.total_seconds() // 3600)
    return f"+{hours} h" if hours else "same time"


def pct(value: Any) -> str:
    try:
        return f"{float(value) * 100:.0f}%"
    except (TypeError, ValueError):
        return ""


# Bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069): in
# an archived title they can make the text around them read reversed ("Trojan Source").
BIDI_CONTROLS = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])


def without_bidi(value: Any) -> Any:
    """Every value a template prints, bidi controls taken out of its text (Markup stays Markup)."""
    return value.translate(BIDI_CONTROLS) if isinstance(value, str) else value


#: the filters every template may use (``pages.make_templates``)
FILTERS = {
    "safe_href": safe_href,
    "day": day,
    "minute": minute,
    "pct": pct,
    "meta_value": meta_value,
    "after": after,
}

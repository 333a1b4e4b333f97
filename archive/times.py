"""How the archive's times are shown: one rule for the CLI, the JSON API and the web UI.

Times are stored in UTC. They are shown in China time (+08:00) unless the page gave
another zone (kept as ``extra["published_offset"]`` when an article is stored), and a
value known only to the day (``published_precision`` ``date`` or ``inferred-year``) is
shown as that day, ``2022-05-15``, never as midnight converted to another zone
(``2022-05-14T16:00:00+00:00``). ``search`` and ``fanzha`` import this; it imports
nothing of theirs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

CST = timezone(timedelta(hours=8), "CST")
#: the precisions of a value known only to the day
DATE_ONLY = frozenset({"date", "inferred-year"})
#: the key of ``Article.extra`` holding a page's own zone when it is not China time
OFFSET_KEY = "published_offset"
_OFFSET = re.compile(r"^([+-])(\d{2}):(\d{2})$")


def offset_of(value: datetime | None) -> str | None:
    """``"+09:00"`` for a datetime in a zone other than China time, else None."""
    if value is None or value.tzinfo is None:
        return None
    delta = value.utcoffset()
    if delta is None or delta == timedelta(hours=8):
        return None
    minutes = int(delta.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _zone(offset: str | None) -> timezone:
    m = _OFFSET.match(offset or "")
    if not m:
        return CST
    delta = timedelta(hours=int(m[2]), minutes=int(m[3]))
    return timezone(-delta if m[1] == "-" else delta)


def show_time(value: datetime | None, offset: str | None = None) -> str | None:
    """ISO 8601 with its offset: China time, or the zone ``offset`` names (``+09:00``)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(_zone(offset)).isoformat()


def show_published(
    value: datetime | None, precision: str | None, offset: str | None = None
) -> str | None:
    """A published time as shown everywhere: ``2022-05-15`` for a date-only value,
    else ISO 8601 in China time, or in the page's own zone ``offset`` (``+09:00``)."""
    if value is None:
        return None
    if precision in DATE_ONLY:
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(CST).date().isoformat()
    return show_time(value, offset)


def published_of(item: Any) -> str | None:
    """``show_published`` of an article, or of a row with ``published_at``,
    ``published_precision`` and either ``extra`` or a ``published_offset`` column."""
    offset = getattr(item, OFFSET_KEY, None)
    if offset is None:
        extra = getattr(item, "extra", None)
        offset = extra.get(OFFSET_KEY) if isinstance(extra, Mapping) else None
    return show_published(item.published_at, getattr(item, "published_precision", None), offset)


def offset_column() -> Any:
    """The page's zone read straight from ``Article.extra`` (one JSON key, not the whole
    dict), labelled so that ``published_of`` finds it on the row."""
    from .models import Article  # here: the models are not needed to show a time

    return Article.extra[OFFSET_KEY].as_string().label(OFFSET_KEY)


def with_offset(extra: dict[str, Any], published: datetime | None) -> dict[str, Any]:
    """``extra`` with the page's zone of ``published`` recorded (or dropped when China time)."""
    offset = offset_of(published)
    if offset:
        extra[OFFSET_KEY] = offset
    else:
        extra.pop(OFFSET_KEY, None)
    return extra

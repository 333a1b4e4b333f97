"""Making text storable: no NUL, no lone surrogate, fields within their column sizes.

Decoded bytes never hold a lone surrogate, but escapes do: YAML ``"\\ud800"``, JSON-LD
``"\\udc00"``, and an escaped pair (``"\\ud83d\\ude00"``) that YAML leaves as two code
points. SQLite's driver cannot encode them and PostgreSQL refuses NUL in text and in
JSON. Every Document is scrubbed here before it is stored, whichever producer made it.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime
from typing import Any

from .document import Document

# C0 controls other than tab, newline, carriage return and form feed; DEL
_CONTROLS = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f]")
_SURROGATE = re.compile("[\ud800-\udfff]")

#: longest value kept per field (column sizes of ``archive.models``)
FIELD_LIMITS = {
    "title": 1000,
    "author": 200,
    "source_name": 200,
    "source_key": 200,
    "source_domain": 255,
    "source_kind": 20,
    "published_precision": 20,
}


def clean_chars(text: str) -> str:
    """``text`` without NUL and control characters; lone surrogates become U+FFFD.

    An escaped surrogate pair is joined into the one character it encodes.
    """
    if _SURROGATE.search(text):
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return _CONTROLS.sub("", text)


def clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters (an ellipsis marks the cut)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def one_line(message: object, limit: int = 300) -> str:
    """The first line of an error message, printable, at most ``limit`` characters."""
    lines = str(message).strip().splitlines() or [""]
    return clip(clean_chars(lines[0]).strip(), limit)


def clean_value(value: Any) -> Any:
    """``clean_chars`` through strings, lists and dicts (keys too), as JSON columns hold."""
    if isinstance(value, str):
        return clean_chars(value)
    if isinstance(value, list | tuple):
        return [clean_value(v) for v in value]
    if isinstance(value, dict):
        return {clean_value(k): clean_value(v) for k, v in value.items()}
    return value


def scrub_document(doc: Document) -> Document:
    """A copy of ``doc`` whose every string is storable on SQLite and PostgreSQL."""
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(doc):
        value = getattr(doc, f.name)
        if isinstance(value, str | list | dict):
            cleaned = clean_value(value)
            if isinstance(cleaned, str) and f.name in FIELD_LIMITS:
                cleaned = clip(cleaned, FIELD_LIMITS[f.name])
            if cleaned != value:
                changes[f.name] = cleaned
    if doc.published_at is not None and not _storable_time(doc.published_at):
        changes["published_at"] = changes["published_precision"] = None
    return dataclasses.replace(doc, **changes) if changes else doc


def _storable_time(when: datetime) -> bool:
    """Whether ``when`` converts to UTC (year 1 at UTC+8 does not)."""
    try:
        when.astimezone(UTC)
    except (OverflowError, ValueError):
        return False
    return True

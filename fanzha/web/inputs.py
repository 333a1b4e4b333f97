"""Checks on what a request brings before any route reads the archive with it.

- Ids in paths are strict whole numbers (digits only: ``1_2``, ``+3`` and ``٣`` are
  refused, though ``int()`` would take them) within the range an id column holds.
- Text in query parameters, form fields and JSON bodies carries no NUL (PostgreSQL
  refuses it in text) and no lone surrogate (not encodable as UTF-8): either is a
  400 naming the field, instead of a driver error deep inside a route.
- The size of a request body is capped (``MAX_BODY``): larger gets 413, refused on its
  ``Content-Length`` before a byte is read, or counted as it arrives without one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Path, Request
from pydantic import BeforeValidator
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from archive.lookup import MAX_ID
from search.errors import QueryError
from search.query import parse_date

from ..errors import UsageError

MAX_BODY = 4 * 1024 * 1024  # bytes: a million Chinese characters of pasted text fit


class BodyLimit:
    """ASGI middleware: reading more than ``max_bytes`` of a request body raises a 413.

    The HTTPException comes out of the route's (or a dependency's) read of the body,
    so the app's own handler answers it, as JSON under /api and as a page elsewhere.
    (Starlette's ``RequestBodyLimitMiddleware`` answers a declared oversize body with
    its own plain-text response instead.)
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or ()).get(b"content-length", b"")
        too_large = HTTPException(413, "request body too large")
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            if declared.isdigit() and int(declared) > self.max_bytes:
                raise too_large
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise too_large
            return message

        await self.app(scope, limited, send)


def strict_digits(value: Any) -> Any:
    """``value`` when it is an int or a string of ASCII digits, else ValueError."""
    if isinstance(value, str) and not (value.isascii() and value.isdigit()):
        raise ValueError("Input should be a valid integer, written with the digits 0-9 only")
    return value


def whole_number(value: str, name: str) -> int:
    """``value`` as an int when it is ASCII digits only, else UsageError naming ``name``."""
    try:
        return int(strict_digits(value.strip()))
    except ValueError:
        raise UsageError(f"{name} must be a whole number, not {value!r}") from None


Id = Annotated[
    int,
    BeforeValidator(strict_digits),
    Path(ge=1, le=MAX_ID, description=f"A whole number from 1 to {MAX_ID}"),
]


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be used as text (a NUL, a lone surrogate), or None."""
    if "\x00" in value:
        return "contains a NUL character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"is not valid Unicode (a lone surrogate at character {exc.start})"
    return None


def _strings(value: Any, where: str) -> Iterator[tuple[str, str]]:
    """(where, text) for every string in a parsed JSON value, keys included."""
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{where}.{key}" if where else str(key)
            yield name, str(key)
            yield from _strings(item, name)
    elif isinstance(value, list):
        for n, item in enumerate(value):
            yield from _strings(item, f"{where}[{n}]")


async def refuse_bad_text(request: Request) -> None:
    """UsageError (400) when a parameter, form field or JSON string is unusable text.

    An app-wide dependency: it runs after FastAPI has read the body, whose parsed
    form and JSON Starlette keeps, so nothing is read twice.
    """
    found = [(k, k) for k in request.query_params] + list(request.query_params.items())
    found += list(request.path_params.items())
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if request.method in ("POST", "PUT", "PATCH") and kind in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        form = await request.form()
        found += [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    elif request.method in ("POST", "PUT", "PATCH") and kind == "application/json":
        try:
            found += list(_strings(await request.json(), ""))
        except ValueError:
            return  # not JSON: the route's own validation says so
    for name, value in found:
        problem = text_problem(str(value))
        if problem:
            raise UsageError(f"{name or 'body'} {problem}")


def int_param(value: str | None, name: str, default: int, lo: int, hi: int) -> int:
    """A whole-number query parameter (ASCII digits) within [lo, hi], or UsageError."""
    if value is None or value == "":
        return default
    number = whole_number(value, name)
    if not lo <= number <= hi:
        raise UsageError(f"{name} must be between {lo} and {hi}, not {number}")
    return number


def bool_param(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


#: what a since/until filter may look like (ASCII: ``int`` would take other digits too)
FILTER_DATE = re.compile(r"[0-9]{4}(?:-[0-9]{2}(?:-[0-9]{2})?)?")


def parse_day(value: str | None, name: str) -> str | None:
    """A date filter as the CLI takes it, ``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY`` (China
    time; ASCII digits only), checked and returned as given, or UsageError.

    ``search.query.parse_date`` judges it, so the web and the CLI accept the same dates
    and years."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if not FILTER_DATE.fullmatch(text):
        raise UsageError(f"{name} must be a date as YYYY-MM-DD, YYYY-MM or YYYY, not {value!r}")
    try:
        parse_date(text, name)
        parse_date(text, name, end=True)
    except QueryError as exc:
        raise UsageError(f"{name} must be a date as YYYY-MM-DD, YYYY-MM or YYYY: {exc}") from None
    except OverflowError:
        raise UsageError(f"{name} {text} is out of range") from None
    return text

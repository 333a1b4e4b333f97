"""Reading one local file into a Document: Markdown/text with front matter, or HTML."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from ..document import Document
from ..errors import InputError
from ..extract.dates import infer_year, parse_date, parse_month_day
from ..extract.encoding import decode_html, decode_text, looks_binary
from ..extract.html import extract
from ..normalize import clean_markup
from ..scrub import clip
from ..times import CST
from .frontmatter import split_front_matter
from .lead import guess_title, read_lead

HTML_SUFFIXES = {".html", ".htm", ".xhtml", ".shtml"}
#: largest Markdown, text or HTML file imported (WARC files are read record by record)
MAX_FILE_BYTES = 16 * 1024 * 1024
#: limits on front matter fields (title, author and source are capped at storing)
MAX_URL_CHARS = 2048
MAX_TAGS = 50
MAX_TAG_CHARS = 100
WARC_SUFFIXES = (".warc", ".warc.gz")


def is_warc(path: Path) -> bool:
    return path.name.lower().endswith(WARC_SUFFIXES)


def read_bytes(path: Path) -> bytes:
    """The file's bytes, or an InputError naming why they cannot be had.

    At most ``MAX_FILE_BYTES`` are read: a larger file is refused, not loaded.
    """
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise InputError(str(path), "no such file") from None
    except IsADirectoryError:
        raise InputError(str(path), "is a directory") from None
    except PermissionError:
        raise InputError(str(path), "permission denied") from None
    except OSError as exc:
        raise InputError(str(path), exc.strerror or str(exc)) from None
    if len(data) > MAX_FILE_BYTES:
        raise InputError(str(path), f"larger than {MAX_FILE_BYTES:,} bytes, not imported")
    if not data.strip():
        raise InputError(str(path), "empty file")
    if looks_binary(data):
        raise InputError(str(path), "binary file, not text")
    return data


def read_document(
    path: Path, data: bytes, *, source: str | None = None, url: str | None = None
) -> Document:
    """Parse a local file's bytes into a Document (its raw bytes kept with it)."""
    head = data[:200].lstrip().lower()
    if path.suffix.lower() in HTML_SUFFIXES or head.startswith((b"<!doctype html", b"<html")):
        try:
            text, encoding = decode_html(data)
        except InputError as exc:
            raise InputError(str(path), exc.reason) from None
        doc = _from_html(path, text, url)
    else:
        text, encoding = decode_text(data, str(path))
        doc = _from_text(path, text, url)
    if source:
        doc.source_name = source
    doc.raw = data
    doc.extra["encoding"] = encoding
    doc.extra["path"] = str(path)
    if not doc.text.strip():
        raise InputError(str(path), "no article text found")
    return doc


def file_url(path: Path) -> str:
    return path.resolve().as_uri()


def _from_text(path: Path, raw_text: str, url: str | None) -> Document:
    meta, body = split_front_matter(raw_text, str(path))
    cleaned = clean_markup(body)
    lead = read_lead(cleaned.text)
    title = _str(meta.get("title")) or ""
    meta_url = _str(meta.get("url") or meta.get("permalink") or meta.get("original_url"))
    if meta_url and len(meta_url) > MAX_URL_CHARS:
        raise InputError(str(path), f"front matter url longer than {MAX_URL_CHARS} characters")
    doc = Document(
        url=url or meta_url or file_url(path),
        title=title,
        text=cleaned.text,
        images=cleaned.images + _images(meta),
    )
    doc.author = _author(_str(meta.get("author"))) or lead.author
    doc.source_name = _str(meta.get("source") or meta.get("publisher")) or lead.source
    if lead.wechat or "微信" in (_str(meta.get("source")) or ""):
        doc.source_kind = "wechat"
    _set_date(doc, meta.get("date") or meta.get("published"), lead, cleaned.text)
    if not doc.title:
        doc.title = guess_title(cleaned.text, lead.lead)
        doc.extra["title_guessed"] = True
    tags = meta.get("tags") or meta.get("categories")
    if tags:
        tags = tags if isinstance(tags, list) else [tags]
        doc.extra["tags"] = [clip(str(t), MAX_TAG_CHARS) for t in tags[:MAX_TAGS]]
    return doc


def _from_html(path: Path, page: str, url: str | None) -> Document:
    page_url = url or file_url(path)
    ex = extract(page, page_url)
    doc = Document(
        url=url or ex.canonical_url or page_url,
        title=ex.title,
        text=ex.text,
        author=ex.author,
        source_name=ex.source,
        images=ex.images,
    )
    if ex.published:
        doc.published_at, doc.published_precision = ex.published.value, ex.published.precision
    return doc


def _set_date(doc: Document, value: Any, lead: Any, context: str) -> None:
    if isinstance(value, dt.datetime):
        doc.published_at = value if value.tzinfo else value.replace(tzinfo=CST)
        doc.published_precision = "datetime"
        return
    if isinstance(value, dt.date):
        doc.published_at = dt.datetime(value.year, value.month, value.day, tzinfo=CST)
        doc.published_precision = "date"
        return
    parsed = parse_date(_str(value))
    if parsed:
        doc.published_at, doc.published_precision = parsed.value, parsed.precision
        return
    if lead.month and lead.day:
        year = lead.year or infer_year(lead.month, lead.day, context)
        if year:
            doc.published_at = dt.datetime(year, lead.month, lead.day, tzinfo=CST)
            doc.published_precision = "date" if lead.year else "inferred-year"
        else:
            doc.extra["published_month_day"] = f"{lead.month:02d}-{lead.day:02d}"
        return
    md = parse_month_day(context[:200])
    if md:
        doc.extra["published_month_day"] = f"{md.month:02d}-{md.day:02d}"


def _str(value: Any) -> str | None:
    if value is None:
        return None
    s = str(value).strip()
    return s or None


def _author(value: str | None) -> str | None:
    if value in (None, "转载", "佚名", "匿名", "admin"):
        return None
    return value


def _images(meta: dict[str, Any]) -> list[str]:
    return [
        clip(str(meta[k]), MAX_URL_CHARS) for k in ("image", "header-img", "cover") if meta.get(k)
    ]

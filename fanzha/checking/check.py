"""The check behind ``fanzha check``, the check page and ``POST /api/check``.

A text, or a URL fetched by a guarded ``Fetcher`` (see ``fetch``) and its main text
extracted, goes to Dedup's ``check_text``, which finds the archived near-duplicates.
When the URL is itself archived, that article is named too, so the page can link a
diff between two archived copies. What comes back is bounded: at most ``MAX_MATCHES``
matches and ``MAX_CHANGES`` changes of ``MAX_CHANGE_CHARS`` characters each, with
``"omitted"`` saying what was left out (a widely reposted text can match thousands of
archived copies).
"""

from __future__ import annotations

from typing import TypedDict

from sqlalchemy import select

from archive import Archive
from archive.dedup.queries import CheckResult, check_text
from archive.extract.encoding import decode_text
from archive.extract.html import extract
from archive.models import Article
from archive.normalize import clean_markup
from search.passages import passage_candidates

from ..config import Settings
from ..errors import UsageError
from .fetch import Fetcher, FetchRefused

MAX_TEXT = 1_000_000  # characters of text to check
MAX_MATCHES = 50
MAX_CHANGES = 200
MAX_CHANGE_CHARS = 1000
CHANGE_FIELDS = ("a", "b", "before", "after")


def fetcher_for(settings: Settings) -> Fetcher:
    """The fetcher that ``settings`` configure (private addresses, deadline, concurrency)."""
    return Fetcher(
        allow_private=settings.allow_private_fetch,
        timeout=settings.fetch_timeout,
        max_concurrent=settings.max_fetches,
    )


def text_of_page(url: str, body: bytes, content_type: str) -> tuple[str | None, str]:
    """(title, main text) of a fetched page: HTML extracted, plain text cleaned."""
    page, _ = decode_text(body, url)
    if "html" in content_type.lower() or page.lstrip()[:15].lower().startswith(
        ("<!doctype", "<html")
    ):
        ex = extract(page, url)
        return ex.title or None, ex.text
    return None, clean_markup(page).text


class CheckInput(TypedDict):
    """What was checked: the text, and where it came from."""

    url: str | None
    fetched_url: str | None  # after redirects
    title: str | None
    text: str
    chars: int


class BoundedCheck(CheckResult):
    """``bounded``: ``check_text``'s answer cut to the bounds, saying what was cut."""

    omitted: dict[str, int]  # what the bounds left out: matches, changes, change_chars


class CheckAnswer(BoundedCheck):
    """``run_check``: ``check_text``'s answer, bounded, with what was checked."""

    input: CheckInput
    archived: int | None  # the URL's own article, when it is archived


def run_check(
    archive: Archive,
    fetcher: Fetcher,
    *,
    text: str | None = None,
    url: str | None = None,
    title: str | None = None,
) -> CheckAnswer:
    """The ``check`` shape of docs/contracts.md plus ``"input"`` (what was checked), ``"archived"`` (the
    URL's own article id, if archived) and ``"omitted"`` (what the bounds left out)."""
    text = (text or "").strip()
    url = (url or "").strip()
    if not text and not url:
        raise UsageError("give the text of an article, or its URL")
    if len(text) > MAX_TEXT:
        raise UsageError(f"text too long: {len(text)} characters (at most {MAX_TEXT})")
    archived = None
    fetched_url = None
    if url and not text:
        got = fetcher.fetch(url)
        fetched_url = got.url
        page_title, text = text_of_page(got.url, got.body, got.content_type)
        title = title or page_title
        if not text.strip():
            raise FetchRefused(f"{got.url}: no article text found on the page")
    if url:
        with archive.session() as s:
            archived = s.scalar(
                select(Article.id).where(Article.url.in_({url, fetched_url or url}))
            )
    checked = bounded(check_text(archive, text, title=title or None, also=passage_candidates))
    return {
        **checked,
        "input": {
            "url": url or None,
            "fetched_url": fetched_url,
            "title": title or None,
            "text": text,
            "chars": len(text),
        },
        "archived": archived,
    }


def bounded(result: CheckResult) -> BoundedCheck:
    """A copy of ``result`` with at most MAX_MATCHES matches and a bounded diff;
    ``"omitted"`` counts what was left out (empty when nothing was)."""
    result = result.copy()
    omitted: dict[str, int] = {}
    matches = result["matches"]
    if len(matches) > MAX_MATCHES:
        omitted["matches"] = len(matches) - MAX_MATCHES
        result["matches"] = matches[:MAX_MATCHES]
    diff = result.get("diff")
    if diff and diff.get("changes"):
        changes = diff["changes"]
        if len(changes) > MAX_CHANGES:
            omitted["changes"] = len(changes) - MAX_CHANGES
        kept, cut = [], 0
        for change in changes[:MAX_CHANGES]:
            change = dict(change)
            for key in CHANGE_FIELDS:
                value = change.get(key)
                if isinstance(value, str) and len(value) > MAX_CHANGE_CHARS:
                    cut += len(value) - MAX_CHANGE_CHARS
                    change[key] = (
                        "…" + value[-MAX_CHANGE_CHARS:]  # the context nearest the change
                        if key == "before"
                        else value[:MAX_CHANGE_CHARS] + "…"
                    )
            kept.append(change)
        if cut:
            omitted["change_chars"] = cut
        result["diff"] = {**diff, "changes": kept}
    return {**result, "omitted": omitted}

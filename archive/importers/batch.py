"""Importing a batch of local paths: one transaction per file, errors collected.

One bad file never stops the others, and a file that fails leaves nothing behind.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, OperationalError

from ..db import Archive
from ..errors import ArchiveCorrupt, ArchiveError, DiskFull, InputError
from ..models import Article
from ..rawstore import RawStore, sha256
from ..scrub import one_line
from ..store import Outcome, Stored, store_document
from .files import is_warc, read_bytes, read_document

log = logging.getLogger(__name__)


@dataclass
class ImportReport:
    imported: list[dict[str, Any]] = field(default_factory=list)
    updated: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)

    def add(self, result: Stored, path: str) -> None:
        """Record one stored document under imported, updated or skipped."""
        entry = {
            "id": result.article.id,
            "url": result.article.url,
            "title": result.article.title,
            "path": path,
            "status": result.outcome.value,
        }
        if result.outcome is Outcome.UNCHANGED:
            self.skipped.append({**entry, "reason": "same content already archived"})
        elif result.outcome is Outcome.UPDATED:
            self.updated.append(entry)
        else:
            self.imported.append(entry)

    def as_json(self) -> dict[str, Any]:
        return {
            "imported": self.imported + self.updated,
            "skipped": self.skipped,
            "errors": self.errors,
        }


def iter_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Files named, and files below folders named (recursively, hidden ones left out)."""
    for p in map(Path, paths):
        if p.is_dir():
            for child in sorted(p.rglob("*")):
                rel = child.relative_to(p)
                if child.is_file() and not any(part.startswith(".") for part in rel.parts):
                    yield child
        else:
            yield p


def import_paths(
    archive: Archive,
    paths: Iterable[str | Path],
    *,
    source: str | None = None,
    url: str | None = None,
    progress: Callable[[Path], None] | None = None,
) -> ImportReport:
    """Import every file under ``paths``; ``url`` applies only when one file is given."""
    report = ImportReport()
    raw = RawStore(archive.raw_dir)
    for path in iter_files(paths):
        if progress:
            progress(path)
        shown = shown_path(path)
        try:
            if is_warc(path):
                from .warc import import_warc

                import_warc(archive, path, report)
                continue
            _import_one(archive, raw, path, source, url, report)
        except (DiskFull, ArchiveCorrupt):  # every further file would fail the same way
            raise
        except InputError as exc:
            report.errors.append({"path": shown, "error": one_line(exc.reason)})
        except OperationalError as exc:
            if "full" in str(exc.orig).lower():
                raise DiskFull(f"database: {exc.orig}") from exc
            report.errors.append({"path": shown, "error": f"database error: {one_line(exc.orig)}"})
        except DBAPIError as exc:  # the database refused a value (DataError, IntegrityError)
            report.errors.append(
                {"path": shown, "error": f"database refused: {one_line(exc.orig)}"}
            )
        except ArchiveError as exc:
            report.errors.append({"path": shown, "error": one_line(exc)})
        except (ValueError, RecursionError) as exc:  # a parser's own failure on odd input
            log.warning("%s: %s", shown, exc, exc_info=True)
            report.errors.append({"path": shown, "error": f"cannot read: {one_line(exc)}"})
    return report


def shown_path(path: Path) -> str:
    """``path`` as given, printable: a file name that is not UTF-8 gets U+FFFD marks."""
    return os.fsencode(path).decode("utf-8", "replace")


def _import_one(
    archive: Archive,
    raw: RawStore,
    path: Path,
    source: str | None,
    url: str | None,
    report: ImportReport,
) -> None:
    data = read_bytes(path)
    with archive.writing() as s:  # another import of the same file waits, then skips it
        dup = s.scalar(select(Article).where(Article.raw_hash == sha256(data)).limit(1))
        if dup is not None and (url is None or dup.url == url):
            report.skipped.append(
                {
                    "path": shown_path(path),
                    "id": dup.id,
                    "url": dup.url,
                    "reason": "already imported",
                }
            )
            return
        doc = read_document(path, data, source=source, url=url)
        result = store_document(s, doc, raw)
    report.add(result, shown_path(path))  # once committed: a refused commit imported nothing

"""Raw responses in WARC files under ``HOME/warc``: written by the crawler, read back here.

Each response is one gzip member of a ``.warc.gz`` file, written and flushed as it
arrives, so a killed crawler leaves every completed record readable. Files rotate at a
size limit. An article's ``raw_ref`` is ``warc:<file name>#<offset of its record>``.
"""

from __future__ import annotations

import errno
import gzip
import logging
import os
import socket
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import BinaryIO

from .errors import DiskFull, InputError, NotFound
from .fileio import inside

log = logging.getLogger(__name__)

DEFAULT_MAX_SIZE = 100 * 1024 * 1024


@dataclass
class WarcResponse:
    """A response record read from a WARC file."""

    url: str
    status: int
    headers: dict[str, str]
    body: bytes
    date: datetime | None
    file: str
    offset: int

    @property
    def ref(self) -> str:
        return f"warc:{self.file}#{self.offset}"

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


def _parse_ref(ref: str) -> tuple[str, int]:
    ref = ref.removeprefix("warc:")
    name, sep, offset = ref.rpartition("#")
    if not sep or not name or not offset.isdigit() or "/" in name or name.startswith("."):
        raise NotFound(f"bad WARC reference {ref!r}: want <file>#<offset>")
    return name, int(offset)


def read_record(warc_dir: Path, ref: str) -> bytes:
    """The payload (the HTTP body, content-encoding undone) of the record at ``ref``."""
    rec = read_response(warc_dir, ref)
    return rec.body


def read_response(warc_dir: Path, ref: str) -> WarcResponse:
    """The response record at ``<file>#<offset>`` in ``warc_dir``."""
    name, offset = _parse_ref(ref)
    path = inside(warc_dir, Path(warc_dir) / name, ref)
    try:
        fh = path.open("rb")
    except FileNotFoundError:
        raise NotFound(f"WARC file {name} is missing from the archive's warc folder") from None
    with fh:
        fh.seek(offset)
        for rec in _iter(fh, name, offset_base=offset, path=f"warc/{name}"):
            return rec
    raise NotFound(f"no WARC response record at {ref}")


def _iter(fh, name: str, *, offset_base: int = 0, path: str = "") -> Iterator[WarcResponse]:
    """Response records of an open WARC file; ``path`` (as the user gave it) names it
    in messages. A malformed record ends the reading: every record before it is given."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed
    from warcio.statusandheaders import StatusAndHeadersParserException

    it = ArchiveIterator(fh, check_digests=False)
    records = 0
    try:
        for record in it:
            records += 1
            if record.rec_type != "response" or record.http_headers is None:
                continue
            body = record.content_stream().read()
            offset = offset_base + it.get_record_offset()
            headers = {k.lower(): v for k, v in record.http_headers.headers}
            status = _status(record.http_headers.get_statuscode())
            when = _warc_time(record.rec_headers.get_header("WARC-Date"))
            url = record.rec_headers.get_header("WARC-Target-URI") or ""
            yield WarcResponse(url, status, headers, body, when, name, offset)
    # warcio fails on malformed headers with its own errors and with ValueError,
    # AttributeError (a record without a target URI) or TypeError
    except (
        ArchiveLoadFailed,
        StatusAndHeadersParserException,
        ValueError,
        AttributeError,
        TypeError,
    ) as exc:
        reason = (
            "a record with malformed headers"
            if isinstance(exc, AttributeError | TypeError)
            else " ".join(str(exc).split())[:200]
        )
        if not records:
            raise InputError(path or name, f"not a readable WARC file: {reason}") from None
        # a record cut off by a killed writer: every complete one before it was given
        log.warning("%s: WARC file ends in a broken record (%s)", path or name, exc)
    except (OSError, EOFError, zlib.error) as exc:
        log.warning("%s: WARC stream ends early (%s)", path or name, exc)


def _status(code: str | None) -> int:
    """The HTTP status of a record; 0 when its status line holds no number."""
    digits = (code or "")[:3]
    return int(digits) if digits.isdigit() else 0


def _warc_time(value: str | None) -> datetime | None:
    """A record's WARC-Date; None when it is missing or not a date."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def iter_responses(path: Path) -> Iterator[WarcResponse]:
    """Every response record of one WARC file (plain or gzipped), in file order."""
    path = Path(path)
    try:
        fh = path.open("rb")
    except FileNotFoundError:
        raise InputError(str(path), "no such file") from None
    with fh:
        if not _looks_like_warc(fh):
            raise InputError(
                str(path), "not a readable WARC file: it does not start with a WARC record"
            )
        yield from _iter(fh, path.name, path=str(path))


def _looks_like_warc(fh: BinaryIO) -> bool:
    """A WARC file starts with ``WARC/`` (plain) or a gzip member holding it."""
    head = fh.read(2)
    fh.seek(0)
    if head == b"\x1f\x8b":
        try:
            with gzip.GzipFile(fileobj=fh) as gz:
                start = gz.read(5)
        except (OSError, EOFError):
            start = b""
        fh.seek(0)
        return start == b"WARC/"
    start = fh.read(5)
    fh.seek(0)
    return start == b"WARC/"


class WarcWriter:
    """Appends response records to rotating ``.warc.gz`` files in ``warc_dir``.

    Not thread-safe beyond its own lock; the crawler calls it from the reactor thread.
    """

    def __init__(
        self, warc_dir: Path, *, max_size: int = DEFAULT_MAX_SIZE, prefix: str = "fanzha"
    ) -> None:
        self.dir = Path(warc_dir)
        self.max_size = max_size
        self.prefix = prefix
        self._fh = None
        self._writer = None
        self._name = ""
        self._seq = 0
        self._lock = threading.Lock()
        self.records = 0

    def _open(self) -> None:
        from warcio.warcwriter import WARCWriter

        self.dir.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
        while True:
            self._seq += 1
            name = f"{self.prefix}-{stamp}-{os.getpid()}-{self._seq:05d}.warc.gz"
            if not (self.dir / name).exists():
                break
        self._name = name
        self._fh = (self.dir / name).open("ab")
        self._writer = WARCWriter(self._fh, gzip=True)
        info = self._writer.create_warcinfo_record(
            name,
            {
                "software": "fanzha crawler (warcio)",
                "hostname": socket.gethostname(),
                "format": "WARC File Format 1.1",
            },
        )
        self._writer.write_record(info)
        self._fh.flush()

    def write_response(
        self,
        url: str,
        status: int,
        reason: str,
        headers: list[tuple[str, str]],
        body: bytes,
        *,
        date: datetime | None = None,
        ip: str | None = None,
    ) -> str:
        """Write one response record; returns its ``warc:<file>#<offset>`` reference."""
        from warcio.statusandheaders import StatusAndHeaders

        with self._lock:
            try:
                if self._fh is None or self._fh.tell() >= self.max_size:
                    self.close()
                    self._open()
                assert self._fh is not None and self._writer is not None
                http_headers = StatusAndHeaders(
                    f"{status} {reason}".strip(), headers, protocol="HTTP/1.1"
                )
                warc_headers = {"WARC-Date": _warc_date(date)}
                if ip:
                    warc_headers["WARC-IP-Address"] = ip
                record = self._writer.create_warc_record(
                    url,
                    "response",
                    payload=BytesIO(body),
                    length=len(body),
                    http_headers=http_headers,
                    warc_headers_dict=warc_headers,
                )
                offset = self._fh.tell()
                self._writer.write_record(record)
                self._fh.flush()
            except OSError as exc:
                if exc.errno == errno.ENOSPC:
                    raise DiskFull(f"{self.dir}: no space left on device") from exc
                raise
            self.records += 1
            return f"warc:{self._name}#{offset}"

    def close(self) -> None:
        if self._fh is not None:
            try:
                self._fh.close()
            finally:
                self._fh = None
                self._writer = None


def _warc_date(date: datetime | None) -> str:
    when = (date or datetime.now(UTC)).astimezone(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")

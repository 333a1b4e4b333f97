"""Raw copies of what was imported or fetched, kept byte for byte.

Imported files are stored content-addressed (``raw:<sha256>``) under ``HOME/raw``;
crawled responses live in WARC files (``warc:<file>#<offset>``, see the crawler).
Writes are atomic: a temporary file renamed into place, so a crash or a full disk
never leaves half a file behind.
"""

from __future__ import annotations

import errno
import hashlib
import os
import tempfile
from pathlib import Path

from .errors import DiskFull, NotFound


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` all or nothing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        if exc.errno == errno.ENOSPC:
            raise DiskFull(f"{path.parent}: no space left on device") from exc
        raise


def inside(base: Path, path: Path, ref: str) -> Path:
    """``path`` resolved (symbolic links followed), or NotFound when that leaves ``base``.

    Raw references are read from the database: one altered there (``raw:../../x``, a
    WARC name that is a link out of the store) must not read files elsewhere.
    """
    resolved = path.resolve()
    if not resolved.is_relative_to(Path(base).resolve()):
        raise NotFound(f"raw reference {ref!r} points outside the raw store; refused")
    return resolved


class RawStore:
    """Content-addressed raw files under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path_for(self, digest: str) -> Path:
        return self.root / digest[:2] / digest

    def put(self, data: bytes) -> str:
        digest = sha256(data)
        path = self.path_for(digest)
        if not path.exists():
            atomic_write(path, data)
        return f"raw:{digest}"

    def get(self, ref: str) -> bytes:
        kind, _, rest = ref.partition(":")
        if kind == "raw":
            try:
                return inside(self.root, self.path_for(rest), ref).read_bytes()
            except FileNotFoundError:
                raise NotFound(f"raw copy {ref} is missing from {self.root}") from None
        if kind == "warc":
            from .warcstore import read_record

            return read_record(self.root.parent / "warc", rest)
        raise NotFound(f"unknown raw reference {ref!r}")

"""Raw copies of what was imported or fetched, kept byte for byte.

Imported files are stored content-addressed (``raw:<sha256>``) under ``HOME/raw``;
crawled responses live in WARC files (``warc:<file>#<offset>``, see the crawler).
Writes are atomic: a temporary file renamed into place, so a crash or a full disk
never leaves half a file behind.
"""

from __future__ import annotations

from pathlib import Path

from .errors import NotFound
from .fileio import atomic_write, inside, sha256
from .warcstore import read_record

__all__ = ["RawStore", "atomic_write", "inside", "sha256"]


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
            return read_record(self.root.parent / "warc", rest)
        raise NotFound(f"unknown raw reference {ref!r}")

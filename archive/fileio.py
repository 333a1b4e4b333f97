"""Files written all or nothing, and read only inside their store.

The raw store and the WARC store both keep what was fetched or imported byte for byte;
these are the file operations they share (and the nightly's reports use).
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

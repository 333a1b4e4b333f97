"""Re-extracting articles from WARC files (``fanzha import FILE.warc``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..db import Archive
from ..errors import InputError


def import_warc(archive: Archive, path: Path, report: Any) -> None:
    raise InputError(str(path), "importing WARC files is not built yet")

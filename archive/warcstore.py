"""Raw responses in WARC files under ``HOME/warc`` (written by the crawler)."""

from __future__ import annotations

from pathlib import Path

from .errors import NotFound


def read_record(warc_dir: Path, ref: str) -> bytes:
    """The payload of the record at ``<file>#<offset>`` in ``warc_dir``."""
    raise NotFound(f"WARC record {ref}: reading WARC files is not built yet")

"""The ``fanzha`` command line."""

from __future__ import annotations

from . import (  # noqa: F401  (registers)
    crawling,
    dedup,
    demo,
    distributed,
    importing,
    intel,
    jobs,
    searching,
    trying,
    versions,
    web,
)
from .app import app as _app


def main() -> None:
    _app()


__all__ = ["main"]

"""The ``fanzha`` command line."""

from __future__ import annotations

from . import crawling, dedup, demo, importing, intel, jobs, searching, web  # noqa: F401  (registers)
from .app import app


def main() -> None:
    app()


__all__ = ["app", "main"]

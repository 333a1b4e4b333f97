"""The web UI and JSON API (``fanzha serve``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

    from ..config import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """The FastAPI application over the archive ``settings`` names."""
    from .app import create_app as _create

    return _create(settings)


__all__ = ["create_app"]

"""The web server's request threads are bounded (``FANZHA_WEB_THREADS``): each thread
keeps a searcher of its own, so their number bounds a server process's memory."""

from __future__ import annotations

from pathlib import Path

import anyio.to_thread
from fastapi.testclient import TestClient

from fanzha.config import Settings
from fanzha.web.app import create_app


def _tokens(app) -> int:
    async def probe() -> dict[str, float]:
        return {"tokens": anyio.to_thread.current_default_thread_limiter().total_tokens}

    app.add_api_route("/_threads", probe)
    with TestClient(app) as client:
        return client.get("/_threads").json()["tokens"]


def test_the_app_runs_its_routes_on_the_threads_its_settings_allow(tmp_path: Path):
    assert _tokens(create_app(Settings(home=tmp_path / "a", web_threads=3))) == 3
    assert _tokens(create_app(Settings(home=tmp_path / "b"))) == 8  # not Starlette's 40


def test_the_environment_sets_the_threads(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("FANZHA_WEB_THREADS", "5")
    assert Settings.load(home=tmp_path).web_threads == 5
    monkeypatch.setenv("FANZHA_WEB_THREADS", "0")
    assert Settings.load(home=tmp_path).web_threads == 1

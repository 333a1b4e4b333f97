"""Shared fixtures: a fresh archive per test on SQLite, and on PostgreSQL when reachable.

PostgreSQL tests use the server on 127.0.0.1:5432 (database ``test``), each test in a
schema of its own that is dropped afterwards. Where no server answers they are skipped
with a reason that says so (``pytest -rs`` lists it).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from archive import Archive

SEEDS = Path(__file__).parent / "data" / "seeds"
PG_URL = os.environ.get("FANZHA_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _pg_reachable() -> str | None:
    """None when PostgreSQL answers, else why not."""
    try:
        import psycopg

        url = PG_URL.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(url, connect_timeout=3):
            return None
    except Exception as exc:  # any failure means: skip, and say why
        return f"PostgreSQL at {PG_URL} not reachable ({type(exc).__name__}: {exc})".splitlines()[0]


_PG_PROBLEM: str | bool | None = False


def pg_problem() -> str | None:
    global _PG_PROBLEM
    if _PG_PROBLEM is False:
        _PG_PROBLEM = _pg_reachable()
    return _PG_PROBLEM  # type: ignore[return-value]


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped after the test."""
    problem = pg_problem()
    if problem:
        pytest.skip(problem)
    import psycopg

    schema = f"fz_{uuid.uuid4().hex[:12]}"
    plain = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE pid <> pg_backend_pid() AND query ILIKE %s",
            (f"%{schema}%",),
        )
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str | None:
    """None (SQLite in the home) or a PostgreSQL URL: storage tests run on both."""
    if request.param == "sqlite":
        return None
    return request.getfixturevalue("pg_url")


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def archive(home: Path, db_url: str | None) -> Iterator[Archive]:
    arc = Archive.open(home, db_url)
    yield arc
    arc.close()


@pytest.fixture
def sqlite_archive(home: Path) -> Iterator[Archive]:
    arc = Archive.open(home)
    yield arc
    arc.close()


@pytest.fixture
def seeds(tmp_path: Path) -> Path:
    """A private copy of the two seed bulletins."""
    dest = tmp_path / "seeds"
    shutil.copytree(SEEDS, dest)
    return dest


@pytest.fixture
def cli() -> CliRunner:
    return CliRunner()


def run(cli: CliRunner, *args: str, input: str | None = None):
    """Invoke the fanzha CLI in-process; returns click's Result (stdout, stderr apart)."""
    from fanzha.cli.app import app

    return cli.invoke(app, [str(a) for a in args], input=input, catch_exceptions=False)

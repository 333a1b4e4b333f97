"""``fanzha export`` streams: its peak memory does not grow with the archive (issue 18).

A real ``fanzha export`` process exports an archive of 3,000 articles holding about
120 MB of text as Python strings; its peak resident size (``ru_maxrss`` of the child,
from ``os.wait4``) must stay within 40 MB of the same export of a 30-article archive.
An export that read every row before writing (a ``.all()`` over the archive, or one
batch as large as the archive) holds every text at once and exceeds that bound.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import insert

from archive import Archive
from archive.models import Article
from archive.normalize import normalize
from archive.store import content_hash

ROOT = Path(__file__).resolve().parent.parent
CHARS = 20_000  # per article: CJK, two bytes a character in a Python string
SLACK_MB = 40


def _fill(home: Path, db_url: str | None, n: int) -> None:
    archive = Archive.open(home, db_url)
    rows = []
    for i in range(n):
        # each text its own (no interning, no compression by repetition in a list)
        text = f"第{i}号通报。" + "".join(
            chr(0x4E00 + (i * 7919 + k * 31) % 20000) for k in range(CHARS)
        )
        norm = normalize(text)
        rows.append(
            {
                "url": f"https://example.org/stream/{i}.html",
                "title": f"通报{i}",
                "text": text,
                "norm_text": norm,
                "content_hash": content_hash(norm, f"通报{i}"),
            }
        )
        if len(rows) == 500:
            with archive.session() as s:
                s.execute(insert(Article), rows)
            rows = []
    if rows:
        with archive.session() as s:
            s.execute(insert(Article), rows)
    archive.close()


def _export_peak_mb(home: Path, db_url: str | None) -> tuple[float, int]:
    """Peak RSS of a ``fanzha export`` child (MB) and the records it wrote."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("FANZHA_DB", None)
    cmd = [sys.executable, "-m", "fanzha", "export", "--home", str(home)]
    if db_url:
        cmd += ["--db", db_url]
    out = home / "export.jsonl"
    with open(out, "wb") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.PIPE, env=env, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    assert proc.returncode == 0, proc.stderr.read().decode() if proc.stderr else ""
    with open(out, "rb") as fh:
        lines = sum(1 for _ in fh)
    return usage.ru_maxrss / 1024, lines


@pytest.mark.parametrize("db", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_export_peak_memory_does_not_grow_with_the_archive(db, tmp_path, request):
    db_small = db_big = None
    if db == "postgresql":  # one schema each
        db_small = request.getfixturevalue("pg_url")
        db_big = _second_pg_url(request)
    small, big = tmp_path / "small", tmp_path / "big"
    _fill(small, db_small, 30)
    _fill(big, db_big, 3000)
    base, n_small = _export_peak_mb(small, db_small)
    peak, n_big = _export_peak_mb(big, db_big)
    assert (n_small, n_big) == (30, 3000)
    # the texts alone, held at once, would take 3000 * 20,000 * 2 bytes = 120 MB
    assert peak - base < SLACK_MB, f"export of 3,000: {peak:.0f} MB, of 30: {base:.0f} MB"


def _second_pg_url(request: pytest.FixtureRequest) -> str:
    """A second fresh schema (the ``pg_url`` fixture gives one per test)."""
    import uuid

    import psycopg

    from .conftest import PG_URL

    schema = f"fz_{uuid.uuid4().hex[:12]}"
    plain = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")

    def drop() -> None:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")

    request.addfinalizer(drop)
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}"

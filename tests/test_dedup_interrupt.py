"""An interrupted dedup run leaves the archive as of its last whole chunk.

A child process runs dedup over the labelled set in small chunks and sends itself a
real signal (SIGINT: the run unwinds through its ``finally``; SIGKILL: it dies on the
spot) at one of the run's named points; a second run then finishes the work. The
whole dedup state (sentence counts, signatures, band keys, clusters, members,
differences) must be what one uninterrupted run gives.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from archive import Archive
from archive.dedup import DedupOptions, run_dedup
from archive.dedup.evaluate import load_labelled, store_labelled
from archive.models import (
    Article,
    Cluster,
    DedupBand,
    DedupBandRecent,
    DedupPendingDiff,
    DedupPhrase,
    Difference,
    Member,
    Signature,
)

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT / "tests" / "data" / "dedup_eval" / "articles.jsonl"
ROWS = 240  # articles of the labelled set: four chunks
CHUNK = 60

# runs dedup and sends itself ``sig`` when the run reaches ``point`` in chunk ``at``
CHILD = """
import os, signal, sys, time
from archive import Archive
from archive.dedup import DedupOptions, run_dedup

home, db, point, at, sig = sys.argv[1], sys.argv[2] or None, sys.argv[3], int(sys.argv[4]), sys.argv[5]

def checkpoint(name, chunk):
    if name == point and chunk == at:
        os.kill(os.getpid(), getattr(signal, sig))
        time.sleep(5)  # the signal lands here
        sys.exit(9)  # never reached

options = DedupOptions(chunk_size=int(sys.argv[6]), checkpoint=checkpoint)
run_dedup(Archive.open(home, db), workers=0, options=options)
sys.exit(0)
"""


def _state(archive: Archive) -> dict[str, Any]:
    """Everything dedup decided, independent of row ids the database hands out."""
    with archive.session() as s:
        members: dict[int, list[tuple[int, str, float, float]]] = {}
        for m in s.scalars(select(Member)):
            members.setdefault(m.cluster_id, []).append(
                (m.article_id, m.relation, round(m.similarity, 6), round(m.containment, 6))
            )
        clusters = sorted(
            (canonical, size, tuple(sorted(members.get(cid, []))))
            for cid, canonical, size in s.execute(
                select(Cluster.id, Cluster.canonical_id, Cluster.size)
            )
        )
        differences = sorted(
            (d.a_id, d.b_id, d.a_hash, d.b_hash, round(d.similarity, 6),
             json.dumps(d.changes, sort_keys=True, ensure_ascii=False),
             json.dumps(d.meta, sort_keys=True, ensure_ascii=False))
            for d in s.scalars(select(Difference))
        )  # fmt: skip
        bands = sorted(
            [*s.execute(select(DedupBand.key, DedupBand.article_id)).all(),
             *s.execute(select(DedupBandRecent.key, DedupBandRecent.article_id)).all()]
        )  # fmt: skip
        return {
            "phrases": dict(s.execute(select(DedupPhrase.hash, DedupPhrase.df)).all()),
            "signatures": dict(s.execute(select(Signature.article_id, Signature.data)).all()),
            "bands": [tuple(b) for b in bands],
            "clusters": clusters,
            "differences": differences,
            "pending": s.scalars(select(DedupPendingDiff.article_id)).all(),
            "to_do": s.scalars(select(Article.id).where(Article.needs_dedup.is_(True))).all(),
        }


@pytest.fixture(scope="module")
def rows() -> list[dict[str, Any]]:
    return load_labelled(EVAL)[:ROWS]


@pytest.fixture(scope="module")
def reference(rows, tmp_path_factory) -> dict[str, Any]:
    """The state one uninterrupted run gives (SQLite and PostgreSQL decide alike)."""
    archive = Archive.open(tmp_path_factory.mktemp("reference"))
    store_labelled(archive, rows)
    run_dedup(archive, workers=0, options=DedupOptions(chunk_size=CHUNK))
    state = _state(archive)
    archive.close()
    assert state["clusters"] and state["differences"] and not state["to_do"]
    return state


@pytest.mark.parametrize(
    ("point", "chunk", "sig"),
    [
        ("counted", 0, "SIGINT"),  # the first chunk's counts made, nothing committed
        ("written", 2, "SIGINT"),  # a later chunk all done but its commit
        ("clustered", 1, "SIGKILL"),  # no ``finally`` at all
        ("committed", 1, "SIGKILL"),  # two chunks committed, then dead
        ("drained", 4, "SIGINT"),  # every chunk committed, in the last steps
    ],
)
def test_interrupted_run_then_rerun_equals_one_run(
    rows, reference, home, db_url, point, chunk, sig
) -> None:
    archive = Archive.open(home, db_url)
    store_labelled(archive, rows)
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(home), db_url or "", point, str(chunk), sig, str(CHUNK)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    # killed by the signal (an unhandled KeyboardInterrupt ends Python with SIGINT too)
    assert child.returncode == -getattr(signal, sig), child.stderr[-2000:]
    if sig == "SIGINT":
        assert "KeyboardInterrupt" in child.stderr
    if point != "drained":
        assert _state(archive)["to_do"], "the run was cut short: articles are left to do"
    run_dedup(archive, workers=0, options=DedupOptions(chunk_size=CHUNK))
    after = _state(archive)
    archive.close()
    assert sum(after["phrases"].values()) == sum(reference["phrases"].values())
    for part in ("phrases", "signatures", "bands", "clusters", "differences", "pending"):
        assert after[part] == reference[part], part
    assert not after["to_do"]

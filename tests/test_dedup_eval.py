"""The labelled evaluation set: pairwise precision >= 0.98 and F1 >= 0.95.

``tests/data/dedup_eval/articles.jsonl`` (485 articles, 240 stories; written by
``bench/dedup_eval.py --write`` from templates): 80 bulletins reposted 1-5 times
(account headers and sign-offs, small edits, truncations, reordered and merged
paragraphs, editor's notes, datelines, changed warnings, Traditional-character copies)
and 160 bulletins alone — hard negatives: cases of the same fraud types told with the
same template sentences and the same standard warnings.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from archive.dedup import run_dedup
from archive.dedup.evaluate import clustering, load_labelled, pairwise, store_labelled

EVAL = Path(__file__).parent / "data" / "dedup_eval" / "articles.jsonl"


def test_the_set_is_what_it_says():
    rows = load_labelled(EVAL)
    stories = Counter(r["story"] for r in rows)
    assert len(rows) == 485 and len(stories) == 240
    assert sum(1 for n in stories.values() if n == 1) == 160
    kinds = Counter(k for r in rows for k in r["kind"].split("+"))
    for kind in (
        "header",
        "signoff",
        "edit",
        "truncate",
        "reorder",
        "merge",
        "note",
        "traditional",
    ):
        assert kinds[kind] >= 10, kind


def test_pairwise_goal_on_the_labelled_set(archive):
    rows = load_labelled(EVAL)
    labels = store_labelled(archive, rows)
    report = run_dedup(archive)
    assert report.errors == [] and report.processed == len(rows)
    scores = pairwise(clustering(archive, labels), labels)
    assert scores.precision >= 0.98, scores.as_json()
    assert scores.f1 >= 0.95, scores.as_json()


def test_pairwise_scores_arithmetic():
    labels = {1: "a", 2: "a", 3: "a", 4: "b", 5: "c"}
    scores = pairwise({1: 10, 2: 10, 3: None, 4: 10, 5: None}, labels)
    # predicted pairs (1,2) (1,4) (2,4); true pairs (1,2) (1,3) (2,3)
    assert (scores.correct_pairs, scores.predicted_pairs, scores.true_pairs) == (1, 3, 3)
    assert round(scores.precision, 3) == round(scores.recall, 3) == 0.333


def test_small_chunks_give_the_same_quality(sqlite_archive):
    """Chunk boundaries (and the merging of the in-memory index) change nothing much."""
    from archive.dedup import DedupOptions

    # bulk: the indexes dropped, then built again
    options = DedupOptions(chunk_size=60, max_runs=2, bulk=100)
    rows = load_labelled(EVAL)
    labels = store_labelled(sqlite_archive, rows)
    assert run_dedup(sqlite_archive, options=options).processed == len(rows)
    scores = pairwise(clustering(sqlite_archive, labels), labels)
    assert scores.precision >= 0.98 and scores.f1 >= 0.95, scores.as_json()

"""An editor's check of a short excerpt: the full-text index finds the long original
that the LSH bands miss (``search.passages``)."""

from __future__ import annotations

import json

import pytest

from archive.dedup import run_dedup
from archive.dedup.evaluate import load_labelled, store_labelled
from archive.dedup.queries import check_text
from search import update_index
from search.passages import passage_candidates

from .conftest import run
from .test_dedup_eval import EVAL


@pytest.fixture
def roundup(sqlite_archive):
    """The labelled set's first 120 articles, and a weekly round-up page that reprints
    five other bulletins one after the other (about a fifth of it each)."""
    rows = load_labelled(EVAL)
    stored = store_labelled(sqlite_archive, rows[:120])
    seen = set(stored.values())
    parts = []
    for r in rows[120:]:
        if r["story"] not in seen and len(r["text"]) > 350 and len(parts) < 5:
            seen.add(r["story"])
            parts.append(r["text"])
    page = {**rows[120], "url": "https://example.cn/weekly.html", "story": "roundup"}
    page["text"] = "\n".join(parts)
    page["title"] = "本周反诈案例汇总"
    ids = store_labelled(sqlite_archive, [page])
    run_dedup(sqlite_archive)
    return sqlite_archive, next(iter(ids)), parts[2]


def test_an_excerpt_of_a_long_page_is_found_through_its_sentences(roundup):
    archive, page_id, bulletin = roundup
    excerpt = "\n".join(bulletin.split("\n")[1:])  # a fifth of the page
    # the bands alone miss it: the excerpt is a small part of the page
    assert page_id not in {m["id"] for m in check_text(archive, excerpt)["matches"]}
    # no index yet: the check still works, with the bands' candidates only
    assert passage_candidates(archive, excerpt) == []
    update_index(archive)
    assert page_id in passage_candidates(archive, excerpt)
    found = {m["id"]: m for m in check_text(archive, excerpt, also=passage_candidates)["matches"]}
    assert found[page_id]["relation"] == "partial"
    assert found[page_id]["containment"] >= 0.8


def test_boilerplate_sentences_are_not_asked_about(roundup):
    from search.passages import passage_queries

    archive, _, _ = roundup
    update_index(archive)
    warning = "请广大群众下载安装国家反诈中心APP，开启来电预警功能，及时识别诈骗电话和短信。"
    own = "据事主回忆，对方自称某物流公司理赔专员，声称快递在运输途中丢失。"
    # the standard warning is boilerplate in this archive; the other sentence is asked,
    # each run between punctuation a phrase of its own
    assert passage_queries(archive, warning + "\n" + own) == [
        '"据事主回忆" "对方自称某物流公司理赔专员" "声称快递在运输途中丢失"'
    ]


def test_cli_check_finds_the_page(roundup, cli, home, tmp_path):
    archive, page_id, bulletin = roundup
    update_index(archive)
    path = tmp_path / "excerpt.txt"
    path.write_text("\n".join(bulletin.split("\n")[1:]), encoding="utf-8")
    result = run(cli, "check", str(path), "--home", str(home), "--json")
    assert result.exit_code == 0, result.stderr
    assert page_id in {m["id"] for m in json.loads(result.stdout)["matches"]}


def test_a_short_quote_of_a_long_page_is_not_called_a_copy(roundup):
    """The page is found as a candidate, but two paragraphs are under MIN_PART of it."""
    archive, page_id, bulletin = roundup
    update_index(archive)
    quote = "\n".join(bulletin.split("\n")[1:3])
    assert page_id in passage_candidates(archive, quote)
    matches = check_text(archive, quote, also=passage_candidates)["matches"]
    assert page_id not in {m["id"] for m in matches}

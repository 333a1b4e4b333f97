"""``fanzha index``, ``search`` and ``export`` from the command line."""

from __future__ import annotations

import csv
import io
import json

import pytest

from .conftest import run
from .search_corpus import generate, load


@pytest.fixture
def home(tmp_path, cli):
    """A home with 30 generated articles plus the two seed bulletins, not yet indexed."""
    from archive import Archive

    home = tmp_path / "home"
    arc = Archive.open(home)
    load(arc, generate(30, seed=3))
    arc.close()
    return home


def test_index_then_search_json(cli, home, seeds):
    assert run(cli, "import", seeds, "--home", home).exit_code == 0
    res = run(cli, "index", "--home", home, "--json")
    assert res.exit_code == 0
    assert json.loads(res.stdout) == {"indexed": 32, "deleted": 0, "total": 32, "rebuilt": True}
    again = json.loads(run(cli, "index", "--home", home, "--json").stdout)
    assert again["indexed"] == 0 and again["total"] == 32

    res = run(cli, "search", "一证通查", "--home", home, "--json", "--all-copies")
    assert res.exit_code == 0
    data = json.loads(res.stdout)
    assert set(data) >= {"total", "hits", "facets"}
    kinds = {"phone", "url", "app", "qq", "wechat", "bank_account", "amount"}
    assert set(data["facets"]) == {"source", "site", "year", "fraud_type", *kinds}
    assert data["total"] >= 2
    for hit in data["hits"]:
        assert set(hit) >= {
            "id",
            "url",
            "title",
            "source",
            "published",
            "snippet",
            "score",
            "cluster",
            "copies",
        }
        assert "【一证通查】" in hit["snippet"]
    seed_hits = [h for h in data["hits"] if "seeds" in h["url"] or h["url"].startswith("file")]
    assert seed_hits, "the seed bulletins mention 一证通查"


def test_search_human_output(cli, home):
    run(cli, "index", "--home", home)
    res = run(cli, "search", "96110 OR 诈骗", "--home", home, "--limit", "3")
    assert res.exit_code == 0
    assert "results:" in res.stdout and "https://example.org/" in res.stdout


@pytest.mark.parametrize(
    "args",
    [
        ['"一证通查'],
        ["(一证通查"],
        [""],
        ["反诈", "--since", "2022-02-30"],
        ["反诈", "--until", "soon"],
        ["nosuch:field"],
        ["反诈", "--sort", "random"],
    ],
)
def test_bad_queries_are_one_line_exit_2(cli, home, args):
    run(cli, "index", "--home", home)
    res = run(cli, "search", *args, "--home", home, "--json")
    assert res.exit_code == 2
    assert res.stdout == ""
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fanzha: error: ")
    assert "Traceback" not in res.stderr


def test_search_without_index_says_what_to_do(cli, home):
    res = run(cli, "search", "反诈", "--home", home)
    assert res.exit_code == 2 and "fanzha index" in res.stderr


def test_export_jsonl_whole_archive(cli, home):
    res = run(cli, "export", "--home", home)
    assert res.exit_code == 0
    rows = [json.loads(line) for line in res.stdout.splitlines()]
    assert len(rows) == 30
    first = rows[0]
    assert list(first) == [
        "id",
        "url",
        "title",
        "source",
        "site",
        "author",
        "published",
        "fetched",
        "fraud_types",
        "text",
        "cluster",
        "indicators",
        "labels",
        "parent",
    ]
    assert first["published"].endswith("+08:00") and "\n" in first["text"]
    assert first["cluster"] is None


def test_export_csv_of_a_query(cli, home):
    run(cli, "index", "--home", home)
    res = run(cli, "export", "--format", "csv", "--query", "96110", "--home", home)
    assert res.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert rows and all("96110" in r["text"] for r in rows)
    every = list(
        csv.DictReader(io.StringIO(run(cli, "export", "--format", "csv", "--home", home).stdout))
    )
    assert len(rows) == sum("96110" in r["text"] for r in every)


def test_export_bad_format_or_query(cli, home):
    run(cli, "index", "--home", home)
    assert run(cli, "export", "--format", "xml", "--home", home).exit_code == 2
    res = run(cli, "export", "--format", "csv", "--query", "(反诈", "--home", home)
    assert res.exit_code == 2 and res.stdout == ""

"""``fanzha versions`` and ``fanzha diff REF@N REF@M``: one URL stored three times."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archive.diff import FieldChange
from archive.versions import (
    VersionDiff,
    VersionedArticle,
    VersionList,
    VersionSide,
    VersionSummary,
)

from .conftest import run

URL = "https://police.example.cn/jqtb/2024/0412.html"
V1 = """---
title: 警情通报：大学生购买游戏账号被骗
date: 2024-04-12
---
4月12日，大学生小刘在游戏群里看到低价出售游戏账号的信息，添加卖家后按要求转账保证金，先后被骗3800元，随后到派出所报警。

经查，该卖家使用的是境外虚拟号码，涉案资金已被转移至多个账户。

警方提醒：所有刷单都是诈骗。
"""
# the bureau corrected the sum, added a paragraph and retitled the bulletin
V2 = (
    V1.replace("3800元", "38000元")
    .replace("警情通报：大学生", "警情通报：大学生小刘")
    .replace("多个账户。\n", "多个账户。\n\n目前，案件正在进一步侦办中。\n")
)
V3 = V2.replace("\n警方提醒：所有刷单都是诈骗。\n", "\n")  # and dropped the warning


@pytest.fixture
def stored(cli, home, db_url, tmp_path: Path) -> list[str]:
    """One URL imported three times with edits; the options every command takes."""
    opts = ["--home", str(home)] + (["--db", db_url] if db_url else [])
    page = tmp_path / "bulletin.md"
    for text in (V1, V2, V3):
        page.write_text(text, encoding="utf-8")
        result = run(cli, "import", page, "--url", URL, *opts)
        assert result.exit_code == 0, result.stderr
    run(cli, "import", tmp_path / "bulletin.md", "--url", URL, *opts)  # unchanged: no version
    return opts


def test_versions_json_lists_each_text_with_dates(cli, stored):
    result = run(cli, "versions", URL, *stored, "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["article"]["url"] == URL and data["article"]["versions"] == 3
    versions = data["versions"]
    assert [v["version"] for v in versions] == [1, 2, 3]
    assert [v["current"] for v in versions] == [False, False, True]
    assert versions[0]["title"] == "警情通报：大学生购买游戏账号被骗"
    assert versions[2]["title"] == "警情通报：大学生小刘购买游戏账号被骗"
    assert all(v["fetched"] and v["fetched"].endswith("+08:00") for v in versions)
    assert versions[0]["replaced"] and versions[1]["replaced"] and versions[2]["replaced"] is None
    assert versions[0]["fetched"] <= versions[1]["fetched"] <= versions[2]["fetched"]
    by_id = json.loads(run(cli, "versions", str(data["article"]["id"]), *stored, "--json").stdout)
    assert by_id == data
    human = run(cli, "versions", URL, *stored)
    assert human.exit_code == 0 and "3 (current)" in human.stdout


def test_diff_of_two_versions_names_the_edits(cli, stored):
    aid = json.loads(run(cli, "versions", URL, *stored, "--json").stdout)["article"]["id"]
    result = run(cli, "diff", f"{aid}@1", f"{aid}@2", *stored, "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["a"]["version"], data["b"]["version"]) == (1, 2)
    assert data["a"]["id"] == data["b"]["id"] == aid and data["recorded"] is False
    changes = {(c["op"], c["a"], c["b"]) for c in data["changes"]}
    assert ("replace", "3800", "38000") in changes
    assert ("insert", "", "目前，案件正在进一步侦办中。") in changes
    for c in data["changes"]:  # the cluster diff's change model
        assert set(c) >= {"op", "a", "b", "kind", "a_start", "a_end", "b_start", "b_end"}
    assert data["metadata"] == {
        "title": {
            "a": "警情通报：大学生购买游戏账号被骗",
            "b": "警情通报：大学生小刘购买游戏账号被骗",
        }
    }
    assert 0.5 < data["similarity"] < 1
    # the URL works as the reference too, and a plain reference is the current text
    last = json.loads(run(cli, "diff", f"{URL}@2", URL, *stored, "--json").stdout)
    assert last["b"]["version"] == 3
    assert [(c["op"], c["a"]) for c in last["changes"]] == [
        ("delete", "警方提醒：所有刷单都是诈骗。")
    ]
    human = run(cli, "diff", f"{aid}@1", f"{aid}@3", *stored)
    assert human.exit_code == 0 and f"A {aid}@1" in human.stdout and "38000元" in human.stdout


@pytest.mark.parametrize(
    ("ref", "message"),
    [("{aid}@4", "has no version 4 (versions 1 to 3"), ("{aid}@0", "has no version 0")],
)
def test_a_version_that_does_not_exist_is_one_line_exit_2(cli, stored, ref, message):
    aid = json.loads(run(cli, "versions", URL, *stored, "--json").stdout)["article"]["id"]
    result = run(cli, "diff", ref.format(aid=aid), f"{aid}@1", *stored)
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr


def test_versions_of_an_unknown_article_is_exit_2(cli, stored):
    result = run(cli, "versions", "https://nowhere.example.cn/x", *stored)
    assert result.exit_code == 2
    assert (
        result.stderr.strip() == "fanzha: error: no article with URL https://nowhere.example.cn/x"
    )


def test_versions_of_a_home_without_an_archive_is_exit_2_and_creates_nothing(cli, tmp_path):
    home = tmp_path / "no-such-home"
    result = run(cli, "versions", "1", "--home", str(home))
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1
    assert not home.exists()


def test_versions_and_version_diff_json_have_exactly_the_typed_keys(cli, stored):
    """``fanzha versions --json`` is ``archive.versions.VersionList`` and ``fanzha diff
    REF@N REF@M --json`` is ``VersionDiff``, key for key and in order."""
    listed = json.loads(run(cli, "versions", URL, *stored, "--json").stdout)
    assert list(listed) == list(VersionList.__annotations__)
    assert list(listed["article"]) == list(VersionedArticle.__annotations__)
    for v in listed["versions"]:
        assert list(v) == list(VersionSummary.__annotations__)
    aid = listed["article"]["id"]
    diff = json.loads(run(cli, "diff", f"{aid}@1", f"{aid}@3", *stored, "--json").stdout)
    assert list(diff) == list(VersionDiff.__annotations__)
    assert list(diff["a"]) == list(diff["b"]) == list(VersionSide.__annotations__)
    assert diff["metadata"]
    for change in diff["metadata"].values():
        assert list(change) == list(FieldChange.__annotations__)

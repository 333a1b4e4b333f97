"""Lineage (issue 14 item 3): each copy's parent by attribution, shared edits and
publication time; copies of the same minute are never ordered by length; the seeds;
``fanzha lineage`` and ``dups --json``."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

from archive import Document, store_document
from archive.dedup import run_dedup
from archive.dedup.queries import cluster_detail
from archive.models import Member

from .conftest import run
from .test_change_labels import STORY

T0 = datetime(2023, 4, 8, 9, 0, tzinfo=UTC)


def add(archive, url: str, text: str, source: str, minutes: float) -> int:
    with archive.session() as s:
        doc = Document(
            url=url,
            title="马先生遭遇冒充客服诈骗",
            text=text,
            source_name=source,
            published_at=T0 + timedelta(minutes=minutes),
            published_precision="datetime",
        )
        return store_document(s, doc).article.id


def members(archive, any_id: int) -> dict[int, dict]:
    with archive.session() as s:
        detail = cluster_detail(s, s.get(Member, any_id).cluster_id)
    return {m["id"]: m for m in detail["members"]}


def types(member: dict) -> set[str]:
    return {e["type"] for e in member["parent_evidence"]}


EDIT_A = STORY.replace("质量问题", "质量瑕疵")  # copy A's wording edit
EDIT_B = EDIT_A.replace("86000元", "86500元")  # B carries A's edit and one more


def test_parent_by_shared_edits_attribution_and_time(archive):
    orig = add(archive, "https://police.example/1", STORY, "某市公安局", 0)
    a = add(archive, "https://news-a.example/1", EDIT_A, "甲日报", 60 * 24)
    b = add(archive, "https://news-b.example/1", EDIT_B, "乙网", 60 * 48)
    # C names A's publisher, and has no edit of its own in the body
    c = add(archive, "https://c.example/1", STORY + "\n来源：甲日报", "丙号", 60 * 72)
    # D: nothing names anything, no shared edits: taken from the original
    d = add(archive, "https://d.example/1", STORY.replace("随即报警", "立即报警"), "丁号", 60 * 30)
    run_dedup(archive)
    got = members(archive, orig)
    assert got[orig]["parent"] is None and got[orig]["parent_evidence"] == []
    assert got[a]["parent"] == orig and types(got[a]) == {"canonical", "time"}
    assert got[b]["parent"] == a and "shared_edits" in types(got[b])
    assert got[c]["parent"] == a and "attribution" in types(got[c])
    assert any("甲日报" in e["detail"] for e in got[c]["parent_evidence"])
    assert got[d]["parent"] == orig


def test_a_later_copy_is_never_a_parent(archive):
    orig = add(archive, "https://police.example/2", STORY, "某市公安局", 0)
    # B carries A's edits but was published before A: A cannot be its parent
    b = add(archive, "https://news-b.example/2", EDIT_B, "乙网", 60)
    a = add(archive, "https://news-a.example/2", EDIT_A, "甲日报", 120)
    run_dedup(archive)
    got = members(archive, orig)
    assert got[b]["parent"] == orig
    assert got[a]["parent"] == orig  # A lacks B's second edit: not taken from B


def test_same_minute_copies_are_same_time_not_ordered_by_length(archive):
    orig = add(archive, "https://police.example/3", STORY, "某市公安局", 0)
    short = STORY.rsplit("\n", 1)[0]  # the same copy without its last line
    s1 = add(archive, "https://short.example/3", short, "短号", 60.2)
    s2 = add(archive, "https://long.example/3", STORY + "\n编辑：王五", "长号", 60.6)
    run_dedup(archive)
    got = members(archive, orig)
    # neither is taken from the other by length: same minute, no other evidence
    assert got[s1]["parent"] == orig and got[s2]["parent"] == orig
    # same minute as each other, but the evidence for one names the other
    s3 = add(archive, "https://named.example/3", short + "\n转自：短号", "转载号", 60.4)
    run_dedup(archive)
    got = members(archive, orig)
    assert got[s3]["parent"] == s1
    assert {"attribution", "same_time"} <= types(got[s3])


def test_seed_wechat_repost_has_the_chinacom_copy_as_parent(cli, home, db_url, seeds):
    opts = ["--home", str(home)] + (["--db", db_url] if db_url else [])
    assert run(cli, "import", seeds, *opts).exit_code == 0
    assert run(cli, "dedup", *opts).exit_code == 0
    listed = json.loads(run(cli, "dups", *opts, "--json").stdout)[0]
    by_id = {m["id"]: m for m in listed["members"]}
    # 1: the WeChat repost (2022-05-15, 转载 … 来源：微信公众号); 2: the 中国网 copy
    assert by_id[1]["parent"] == 2 and by_id[2]["parent"] is None
    assert by_id[1]["parent_evidence"] and by_id[2]["parent_evidence"] == []
    result = run(cli, "lineage", str(listed["id"]), *opts, "--json")
    assert result.exit_code == 0, result.stderr
    tree = json.loads(result.stdout)
    assert tree["canonical"] == 2
    [root] = tree["tree"]
    assert root["id"] == 2 and [c["id"] for c in root["children"]] == [1]
    human = run(cli, "lineage", str(listed["id"]), *opts)
    assert human.exit_code == 0 and "中国网" in human.stdout and "吉林市昌邑" in human.stdout
    missing = run(cli, "lineage", "999", *opts)
    assert missing.exit_code == 2 and "no cluster with id 999" in missing.stderr


def test_exports_carry_labels_and_parent(cli, home, db_url, seeds):
    opts = ["--home", str(home)] + (["--db", db_url] if db_url else [])
    assert run(cli, "import", seeds, *opts).exit_code == 0
    assert run(cli, "dedup", *opts).exit_code == 0
    lines = run(cli, "export", *opts).stdout.splitlines()
    records = {r["id"]: r for r in map(json.loads, lines)}
    assert records[1]["parent"] == 2 and "wording" in records[1]["labels"]
    assert records[2]["parent"] is None and records[2]["labels"] == []
    rows = list(csv.DictReader(io.StringIO(run(cli, "export", "--format", "csv", *opts).stdout)))
    wechat = next(r for r in rows if r["id"] == "1")
    assert wechat["parent"] == "2" and "numbers" in wechat["labels"].split(";")


def test_export_works_out_a_cluster_once_across_its_batches(cli, home, db_url, seeds, monkeypatch):
    """With one article a batch, each copy of a cluster is in another batch: the records
    are those of one big batch, and the cluster's lineage is worked out once."""
    import search.export
    from archive.dedup import copies

    opts = ["--home", str(home)] + (["--db", db_url] if db_url else [])
    assert run(cli, "import", seeds, *opts).exit_code == 0
    assert run(cli, "dedup", *opts).exit_code == 0
    whole = run(cli, "export", *opts).stdout
    calls: list[int | None] = []
    real = copies.notes

    def counted(session, canonical, ids):
        calls.append(canonical)
        return real(session, canonical, ids)

    monkeypatch.setattr(copies, "notes", counted)
    monkeypatch.setattr(search.export, "BATCH", 1)
    assert run(cli, "export", *opts).stdout == whole
    assert calls == [2]

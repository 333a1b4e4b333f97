"""Change labels (issue 14 item 2): each change's ``label``, each copy's ``labels``,
the seeds' labels, the label accuracy on the labelled set, a Traditional copy, and
differences recorded before labels (labelled when read)."""

from __future__ import annotations

import json

import opencc
from sqlalchemy import update

from archive.dedup import run_dedup
from archive.dedup.evaluate import load_labelled
from archive.dedup.queries import cluster_detail, diff_articles
from archive.diff import diff_texts
from archive.labels import LABELS, label_change, label_difference, substantive, summary
from archive.labels_eval import score_labels
from archive.models import Difference, Member
from fanzha.web.sidebyside import side_by_side

from .conftest import run
from .test_dedup import add
from .test_versions_cli import URL, stored  # noqa: F401

EVAL = __import__("pathlib").Path(__file__).parent / "data" / "dedup_eval" / "articles.jsonl"

STORY = (
    "近日，某市公安局接到一起冒充客服类电信网络诈骗警情。\n"
    "4月7日，马先生接到一个自称某购物平台客服的电话，对方称马先生购买的商品存在质量问题，可以办理49元理赔。\n"
    "对方准确报出了马先生的订单号和收货地址，马先生便没有怀疑，按照指引添加了所谓的理赔专员。\n"
    "理赔专员以办理退款为由，要求马先生下载一款会议软件并开启屏幕共享，随后诱导其在借贷平台申请贷款。\n"
    "马先生先后向对方提供的账户转账三次，共计86000元，直到对方失联才意识到被骗，随即报警。\n"
    "警方提醒：凡是自称客服要求开启屏幕共享、申请贷款转账的，都是诈骗。"
)


def _opts(home, db_url) -> list[str]:
    return ["--home", str(home)] + (["--db", db_url] if db_url else [])


def test_seed_pair_labels_through_the_cli(cli, home, db_url, seeds):
    opts = _opts(home, db_url)
    assert run(cli, "import", seeds, *opts).exit_code == 0
    assert run(cli, "dedup", *opts).exit_code == 0
    # 2 is the 中国网 copy (canonical), 1 the WeChat repost
    data = json.loads(run(cli, "diff", "2", "1", *opts, "--json").stdout)
    by_pair = {(c["b"], c["a"]): c["label"] for c in data["changes"]}
    assert by_pair[("防诈反诈", "反诈反诈")] == "wording"
    assert by_pair[("16个地区", "16个省份")] == "wording"
    assert by_pair[("019年", "2019年")] == "numbers"
    dateline = next(c for c in data["changes"] if c["a"].startswith("中国网5月11日讯"))
    assert dateline["label"] == "header"
    signoff = next(c for c in data["changes"] if c["a"] == "中国发布")
    assert signoff["label"] == "signoff"
    assert {c["label"] for c in data["changes"]} <= set(LABELS)
    assert data["labels"] == ["header", "signoff", "wording", "numbers", "metadata"]
    listed = json.loads(run(cli, "dups", *opts, "--json").stdout)[0]
    wechat = next(m for m in listed["members"] if m["id"] == 1)
    assert wechat["labels"] == data["labels"]
    assert listed["substantive"] is True and "changed wording" in listed["summary"]
    human = run(cli, "diff", "2", "1", *opts)
    assert "labels: header, signoff, wording, numbers" in human.stdout
    assert "(numbers)" in human.stdout


def test_label_of_one_change():
    def change(op, a, b, kind="body", **extra):
        return {"op": op, "a": a, "b": b, "kind": kind, **extra}

    assert label_change(change("replace", "10月20日", "10月21日")) == "numbers"
    assert label_change(change("replace", "三次", "五次")) == "numbers"
    assert label_change(change("replace", "一次性垫付", "多次垫付")) == "wording"
    assert label_change(change("insert", "", "编者按：请看下面这起案例。", "header")) == "added"
    assert label_change(change("insert", "", "点击蓝字 关注我们", "header")) == "header"
    assert label_change(change("delete", "警方提醒：" * 15, "", "signoff")) == "truncated"
    assert label_change(change("delete", "编辑：张三", "", "signoff")) == "signoff"
    assert label_change(change("delete", "整段", "", moved=True)) == "reordered"


def test_label_accuracy_on_the_labelled_set():
    """The labels measured against the edits the labelled set made (bench/labels.py
    prints the same figures)."""
    scores = score_labels(load_labelled(EVAL))
    assert scores.reposts == 245
    measured = scores.measured()
    assert set(measured) >= {"header", "signoff", "wording", "truncated", "added", "script"}
    for label in measured:
        assert scores.precision(label) >= 0.85, label
        assert scores.recall(label) >= 0.65, label


def test_traditional_copy_is_script_only():
    trad = opencc.OpenCC("s2t").convert(STORY)
    assert trad != STORY
    changes = diff_texts(STORY, trad)
    assert changes == []
    assert label_difference(changes, STORY, trad) == ["script"]
    assert not substantive(["script"])
    view = side_by_side(STORY, trad)  # compared after folding: nothing highlighted
    assert view.identical
    assert all(r.op == "equal" for r in view.body)
    assert view.body[0].right[0].text == trad.split("\n")[0]  # shown as it is


def test_layout_only_copy():
    merged = STORY.replace("\n", "", 1)
    assert label_difference(diff_texts(STORY, merged), STORY, merged) == ["layout"]


def test_summary_line():
    line = summary([["wording"], ["wording", "truncated"], []])
    assert line == "2 copies changed wording, 1 truncated"


def test_differences_recorded_before_labels_get_them_when_read(archive):
    a = add(archive, "https://a.example/1", STORY, source="甲")
    b = add(archive, "https://b.example/1", STORY.replace("49元", "59元"), days=1, source="乙")
    run_dedup(archive)
    with archive.session() as s:
        s.execute(update(Difference).values(labels=None))  # as an older archive has them
    with archive.session() as s:
        detail = cluster_detail(s, s.get(Member, b).cluster_id)
        copy = next(m for m in detail["members"] if m["id"] == b)
        assert copy["labels"] == ["numbers", "metadata"]  # and another date and source
        diff = diff_articles(s, a, b)
        assert diff["labels"] == ["numbers", "metadata"]
        assert [c["label"] for c in diff["changes"]] == ["numbers"]
        assert s.query(Difference).one().labels is None  # reading never writes
    run_dedup(archive, rebuild=True)  # the next full run stores them
    with archive.session() as s:
        assert s.query(Difference).one().labels == ["numbers", "metadata"]


def test_diff_of_two_versions_carries_labels(cli, stored):  # noqa: F811
    aid = json.loads(run(cli, "versions", URL, *stored, "--json").stdout)["article"]["id"]
    data = json.loads(run(cli, "diff", f"{aid}@1", f"{aid}@2", *stored, "--json").stdout)
    by_change = {(c["a"], c["b"]): c["label"] for c in data["changes"]}
    assert by_change[("3800", "38000")] == "numbers"
    assert by_change[("", "目前，案件正在进一步侦办中。")] in ("added", "signoff")
    assert "numbers" in data["labels"] and "metadata" in data["labels"]

"""The dedup stage on a real archive (SQLite and PostgreSQL): seeds, boilerplate,
incremental runs, merges, canonical changes, changed articles, rebuild."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import opencc
import pytest
from sqlalchemy import func, select

from archive import Document, store_document
from archive.dedup import run_dedup
from archive.dedup.queries import cluster_detail, diff_articles, list_clusters
from archive.importers.batch import import_paths
from archive.models import (
    Article,
    Cluster,
    DedupBand,
    DedupBandRecent,
    DedupPhrase,
    Difference,
    Member,
    Signature,
)

T0 = datetime(2023, 3, 1, 8, 0, tzinfo=UTC)
SEEDS_REPORT = {
    "processed": 2,
    "clusters": 1,
    "new_clusters": 1,
    "merged": 0,
    "differences": 1,
    "errors": [],
}


def add(archive, url: str, text: str, *, title: str = "", days: float = 0, source: str = "测试"):
    with archive.session() as s:
        doc = Document(
            url=url,
            title=title or text[:12],
            text=text,
            source_name=source,
            published_at=T0 + timedelta(days=days),
        )
        return store_document(s, doc).article.id


def membership(archive) -> dict[int, int]:
    with archive.session() as s:
        return dict(s.execute(select(Member.article_id, Member.cluster_id)).all())


def seed_ids(archive):
    with archive.session() as s:
        ids = dict(s.execute(select(Article.url, Article.id)).all())
    wechat = next(i for u, i in ids.items() if "000_" in u)
    chinacom = next(i for u, i in ids.items() if "001_" in u)
    return wechat, chinacom


# -- the worked example ------------------------------------------------------------------


def test_seeds_are_one_cluster_with_the_golden_diff(archive, seeds):
    import_paths(archive, [seeds])
    report = run_dedup(archive)
    assert report.as_json() == SEEDS_REPORT
    wechat, chinacom = seed_ids(archive)
    with archive.session() as s:
        detail = cluster_detail(s, list_clusters(s)[0]["id"])
        assert detail["canonical"] == chinacom  # published 5月11日, the WeChat copy 5月15日
        rel = {m["id"]: m["relation"] for m in detail["members"]}
        assert rel == {chinacom: "canonical", wechat: "near"}
        assert [m["id"] for m in detail["members"]] == [chinacom, wechat]
        stored = s.scalar(select(Difference))
        assert (stored.a_id, stored.b_id) == (chinacom, wechat)
        result = diff_articles(s, wechat, chinacom)
    assert result["recorded"] is True
    changes = result["changes"]

    def one(pred) -> dict:
        found = [c for c in changes if pred(c)]
        assert len(found) == 1, (found, changes)
        return found[0]

    edits = [
        one(lambda c: c["a"] == "防诈反诈" and c["b"] == "反诈反诈"),
        one(lambda c: c["a"] == "019年" and c["b"] == "2019年"),
        one(lambda c: c["a"] == "16个地区" and c["b"] == "16个省份"),
    ]
    assert all(c["op"] == "replace" and c["kind"] == "body" for c in edits)
    lead = one(lambda c: c["b"].startswith("中国网5月11日讯（记者 张艳玲）"))
    assert (lead["op"], lead["kind"], lead["a"]) == ("insert", "header", "")
    signoff = one(lambda c: c["b"] == "中国发布")
    assert (signoff["op"], signoff["kind"], signoff["paragraphs"]) == ("insert", "signoff", 1)
    header = one(lambda c: "微信号JLCYFZ" in c["a"])
    assert (header["op"], header["kind"]) == ("delete", "header")
    assert header["a"].startswith("转载：吉林市昌邑公安分局反诈骗中心")
    assert "近年来" not in header["a"]  # the header only, not the bulletin
    assert len({id(c) for c in [*edits, lead, signoff, header]}) == 6
    # context around a change, on the readable text (original punctuation)
    assert edits[0]["before"].endswith("构筑") and edits[0]["after"].startswith("“防火墙”")
    meta = result["metadata"]
    assert meta["images"] == {"a": 15, "b": 0}
    assert meta["source"]["b"] == "中国网" and meta["author"]["b"] == "张艳玲"
    assert set(meta) >= {"title", "published", "source", "author", "images"}
    with archive.session() as s:
        flags = s.execute(select(Article.needs_dedup, Article.needs_index)).all()
    assert flags == [(False, True), (False, True)]


def test_second_run_does_nothing_and_traditional_copy_joins(archive, seeds):
    import_paths(archive, [seeds])
    run_dedup(archive)
    assert run_dedup(archive).processed == 0
    wechat, chinacom = seed_ids(archive)
    with archive.session() as s:
        text = s.get(Article, chinacom).text
        s.execute(Article.__table__.update().values(needs_index=False))
    hk = opencc.OpenCC("s2t").convert(text)
    assert hk != text
    new = add(archive, "https://hk.example/a.html", "來源：香港反詐騙\n" + hk, days=-300)
    report = run_dedup(archive)
    assert (report.processed, report.new_clusters, report.clusters) == (1, 0, 1)
    with archive.session() as s:
        detail = cluster_detail(s, list_clusters(s)[0]["id"])
        assert detail["size"] == 3 and detail["canonical"] == new  # the earliest now
        assert {m["id"]: m["relation"] for m in detail["members"]}[chinacom] == "near"
        # canonical changed: differences recomputed from the new canonical
        pairs = set(s.execute(select(Difference.a_id, Difference.b_id)).all())
        assert pairs == {(new, chinacom), (new, wechat)}
        d = diff_articles(s, new, chinacom)
        # a Traditional copy differs only by its added header, not by every character
        assert [c["kind"] for c in d["changes"]] == ["header"]
        reindex = set(s.scalars(select(Article.id).where(Article.needs_index)))
    assert reindex == {new, chinacom, wechat}


# -- boilerplate and hard negatives ------------------------------------------------------

WARNINGS = (
    "警方提醒：牢记“三不一多”原则：未知链接不点击、陌生来电不轻信、个人信息不透露、转账汇款多核实。\n"
    "如接到96110来电，说明您或您的家人正在遭遇电信网络诈骗，请务必及时接听，耐心听取民警劝阻。\n"
    "请广大群众下载安装“国家反诈中心”APP，开启来电预警功能，及时识别诈骗电话和短信。\n"
    "凡是自称公检法要求汇款的，凡是叫你汇款到“安全账户”的，凡是通知中奖、领奖要先交钱的，都是诈骗。"
)
CASES = [
    "3月2日，市民王女士在网上看到兼职刷单广告，按对方要求下载软件，先后转账八次共计四万六千元，发现无法提现后报警。",
    "家住城东的李先生接到自称快递客服的电话，称其包裹丢失可以理赔，在对方指导下开启屏幕共享，银行卡被盗刷一万二千元。",
    "大学生小赵在游戏平台低价购买账号，被要求在陌生网站缴纳保证金解冻，先后被骗三千八百元，所幸民警及时止付。",
    "退休教师陈某某被拉入一个炒股群，跟着所谓导师投资虚拟货币，两个月内投入积蓄二十余万元，平台随后关闭。",
    "个体经营者刘某通过社交软件结识一名网友，对方以博彩网站有漏洞为由诱导其充值，共计损失九万元。",
    "公司会计周女士收到冒充老板的微信消息，要求向合作方转账，她未电话核实便转出十五万元，后经民警追回部分资金。",
]


def test_shared_warnings_do_not_make_different_bulletins_alike(archive):
    ids = [
        add(archive, f"https://p.example/{i}", f"{c}\n{WARNINGS}", days=i)
        for i, c in enumerate(CASES)
    ]
    repost = add(archive, "https://r.example/0", f"来源：某某公安\n{CASES[0]}\n{WARNINGS}", days=9)
    report = run_dedup(archive)
    assert report.errors == []
    # the warnings are most of each text: without learning them, all would be alike
    assert membership(archive).keys() == {ids[0], repost}
    with archive.session() as s:
        detail = cluster_detail(s, list_clusters(s)[0]["id"])
    assert detail["canonical"] == ids[0]
    with archive.session() as s:  # what was learned is kept for the next runs
        frequent = s.scalar(
            select(func.count()).select_from(DedupPhrase).where(DedupPhrase.df >= 5)
        )
    assert frequent == 4  # the four warning sentences, counted once per story (6 stories)


def test_short_text_and_empty_text_are_processed_without_cluster(archive):
    a = add(archive, "https://e.example/1", "短讯。")
    b = add(archive, "https://e.example/2", "短讯。")
    report = run_dedup(archive)
    assert report.processed == 2 and report.clusters == 0
    with archive.session() as s:
        assert s.scalar(select(func.count()).select_from(Signature)) == 0
        assert s.scalars(select(Article.needs_dedup).where(Article.id.in_([a, b]))).all() == [
            False,
            False,
        ]


# -- clusters merging, changing --------------------------------------------------------


def halves(archive, seeds):
    import_paths(archive, [seeds])
    _, chinacom = seed_ids(archive)
    with archive.session() as s:
        paras = s.get(Article, chinacom).text.split("\n")
    cut = len(paras) * 2 // 5  # two parts of 40%: each a part of the whole, not of each other
    return paras, "\n".join(paras[:cut]), "\n".join(paras[-cut:])


def test_a_bridging_article_merges_two_clusters(archive, seeds):
    paras, first, second = halves(archive, seeds)
    with archive.session() as s:  # the seeds stay out of this one
        s.execute(Article.__table__.delete())
    a1 = add(archive, "https://m.example/a1", first, days=3)
    a2 = add(archive, "https://m.example/a2", "转载：甲公安\n" + first, days=4)
    b1 = add(archive, "https://m.example/b1", second, days=2)
    b2 = add(archive, "https://m.example/b2", second + "\n编辑：乙", days=5)
    report = run_dedup(archive)
    assert report.new_clusters == 2 and report.merged == 0
    before = membership(archive)
    assert before[a1] == before[a2] != before[b1] == before[b2]
    full = add(archive, "https://m.example/full", "\n".join(paras), days=6)
    report = run_dedup(archive)
    assert (report.merged, report.clusters) == (1, 1)
    after = membership(archive)
    assert len(set(after.values())) == 1 and set(after) == {a1, a2, b1, b2, full}
    with archive.session() as s:
        detail = cluster_detail(s, next(iter(after.values())))
        assert detail["canonical"] == b1  # the earliest published
        rel = {m["id"]: m["relation"] for m in detail["members"]}
        assert rel[full] == "partial"  # b1 is a part of the full text
        assert rel[a1] == "near"  # measured to the canonical: nothing in common but via full
        assert s.scalar(select(func.count()).select_from(Cluster)) == 1
        diffs = set(s.execute(select(Difference.a_id, Difference.b_id)).all())
    assert diffs == {(b1, a1), (b1, a2), (b1, b2), (b1, full)}


def test_changed_article_leaves_its_cluster(archive, seeds):
    import_paths(archive, [seeds])
    run_dedup(archive)
    wechat, chinacom = seed_ids(archive)
    with archive.session() as s:
        url = s.get(Article, wechat).url
    add(archive, url, "\n".join(CASES))  # the same URL now holds another text
    report = run_dedup(archive)
    assert report.processed == 1 and report.clusters == 0
    with archive.session() as s:
        assert s.scalar(select(func.count()).select_from(Member)) == 0
        assert s.scalar(select(func.count()).select_from(Difference)) == 0
        bands = sum(
            s.scalar(select(func.count()).select_from(t).where(t.article_id == wechat))
            for t in (DedupBand, DedupBandRecent)  # an increment's keys: in the recent table
        )
        assert bands > 0  # signed again with its new text
        assert s.get(Article, chinacom).needs_index


def test_rebuild_gives_the_same_clusters(archive, seeds):
    import_paths(archive, [seeds])
    add(archive, "https://x.example/1", "\n".join(CASES[:3]) + "\n" + WARNINGS)
    run_dedup(archive)
    first = membership(archive)
    report = run_dedup(archive, rebuild=True)
    assert report.processed == 3 and report.clusters == 1 and report.new_clusters == 1
    assert sorted(membership(archive)) == sorted(first)


@pytest.mark.parametrize("bad", [0, -1])
def test_cluster_detail_unknown_is_not_found(archive, bad):
    from archive.errors import NotFound

    with archive.session() as s, pytest.raises(NotFound):
        cluster_detail(s, bad)

"""The boilerplate model keeps its frequent set up to date without re-reading it all."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import event, select

from archive import Archive
from archive.dedup import boilerplate as bp
from archive.models import DedupPhrase


def _stories(seed: int, n: int) -> list[list[int]]:
    rng = random.Random(seed)
    return [rng.sample(range(1, 60), 8) for _ in range(n)]


@pytest.mark.parametrize("empty", [True, False])
def test_settle_matches_a_full_reselect_chunk_after_chunk(archive: Archive, empty: bool) -> None:
    """Whether counts are kept in memory or not, the frequent set after each chunk is
    exactly the sentences counted in ``MIN_DF`` stories or more, and the table holds
    every count so far."""
    with archive.session() as s:
        if not empty:  # counts from an earlier run
            bp.upsert(s, bp.Counter({h: 3 for h in range(1, 30)}))
    earlier = {} if empty else {h: 3 for h in range(1, 30)}
    with archive.session() as s:
        boiler = bp.Boilerplate.load(s)
        assert boiler.in_memory is empty
        totals = bp.Counter(earlier)
        for chunk in range(4):
            for story in _stories(chunk, 7):
                boiler.count_story(story)
                totals.update(set(story))
            before = boiler.version
            old = boiler.frequent - bp.built_in()
            boiler.settle(s)
            expected = {h for h, n in totals.items() if n >= bp.MIN_DF}
            assert boiler.frequent - bp.built_in() == expected
            assert (boiler.version != before) == (expected != old)
            # the counts are written by each settle, in the caller's transaction
            stored = dict(s.execute(select(DedupPhrase.hash, DedupPhrase.df)).all())
            assert stored == dict(totals)


def test_settle_reads_only_the_chunks_hashes(archive: Archive) -> None:
    """With stored counts, settling asks about the chunk's own sentences: the
    ``df >= MIN_DF`` scan over the whole table runs once, at load, not per chunk."""
    with archive.session() as s:
        bp.upsert(s, bp.Counter({h: 9 for h in range(1000, 3000)}))  # an archive's counts
    statements: list[str] = []

    def seen(conn: object, cursor: object, statement: str, *rest: object) -> None:
        statements.append(statement)

    with archive.session() as s:
        boiler = bp.Boilerplate.load(s)
        assert len(boiler.frequent - bp.built_in()) == 2000
        event.listen(archive.engine, "before_cursor_execute", seen)
        try:
            for story in _stories(1, 12):
                boiler.count_story(story)
            boiler.settle(s)
        finally:
            event.remove(archive.engine, "before_cursor_execute", seen)
    selects = [q for q in statements if q.lstrip().upper().startswith("SELECT")]
    # the chunk's hashes, joined from a temporary table: never a scan of every count
    assert selects and all("JOIN DEDUP_PHRASE D ON D.HASH = P.V" in q.upper() for q in selects)


# the warning paragraph of a 警情通报, as bureaus print it under every bulletin
WARNING = (
    "警方提醒：凡是自称公检法要求汇款的，凡是叫你汇款到“安全账户”的，凡是通知中奖、领奖要你先交钱的，"
    "凡是通知“家属”出事要先汇款的，凡是在电话中索要个人和银行卡信息及短信验证码的，一律是诈骗。\n"
    "请牢记“三不一多”原则：未知链接不点击、陌生来电不轻信、个人信息不透露、转账汇款多核实。\n"
    "请广大群众下载安装“国家反诈中心”APP，开启来电预警功能，及时识别诈骗电话和短信。\n"
    "如接到96110来电，说明您或您的家人正在遭遇电信网络诈骗，请务必及时接听，耐心听取民警劝阻。"
)
SHORT = "近日，我市发生多起冒充电商客服以退款理赔为由实施诈骗的案件。\n" + WARNING
LONG = (
    "4月12日，大学生小刘在游戏群里看到低价出售游戏账号的信息，添加卖家后按要求转账保证金，"
    "先后被骗3800元。\n小刘随后又被对方以账号冻结为由要求缴纳解冻费，察觉被骗后到派出所报警，"
    "民警已立案侦查。\n经查，该卖家使用的是境外虚拟号码，涉案资金已被转移至多个账户。\n" + WARNING
)


def _store_and_dedup(archive: Archive, texts: list[str]) -> dict[int, int | None]:
    from datetime import UTC, datetime

    from archive.dedup import run_dedup
    from archive.document import Document
    from archive.models import Member
    from archive.store import store_document

    with archive.session() as s:
        ids = [
            store_document(
                s,
                Document(
                    url=f"https://police.example.cn/jqtb/{i}.html",
                    title=f"警情通报{i}",
                    text=text,
                    published_at=datetime(2024, 4, 1 + i, tzinfo=UTC),
                ),
            ).article.id
            for i, text in enumerate(texts)
        ]
    run_dedup(archive, workers=0)
    with archive.session() as s:
        clusters = dict(s.execute(select(Member.article_id, Member.cluster_id)).all())
    return {aid: clusters.get(aid) for aid in ids}


def test_a_standard_warning_paragraph_alone_joins_nothing_in_a_fresh_archive(
    archive: Archive,
) -> None:
    """Two different bulletins sharing only the warnings: apart from the first run on,
    not only once five stories have taught dedup that the warnings are boilerplate."""
    clusters = _store_and_dedup(archive, [SHORT, LONG])
    assert set(clusters.values()) == {None}


def test_real_reposts_carrying_the_warnings_still_join(archive: Archive) -> None:
    repost = "转自：某某市公安局官方微博\n" + LONG.replace("民警已立案侦查", "警方已立案侦查")
    clusters = _store_and_dedup(archive, [SHORT, LONG, repost])
    first, long_id, repost_id = clusters
    assert clusters[first] is None
    assert clusters[long_id] is not None and clusters[long_id] == clusters[repost_id]


def test_built_in_warnings_are_read_from_the_package_data() -> None:
    from archive.dedup.shingles import sentence_hashes, sentence_keys
    from archive.normalize import normalize

    def hashes(text: str) -> set[int]:
        return {h for h in sentence_hashes(sentence_keys(normalize(text))) if h}

    warnings = bp.built_in()
    assert hashes(WARNING) <= warnings  # each sentence, the prefixed one included
    assert hashes("民警提醒：公检法机关不会通过电话办案，更没有所谓的“安全账户”。") <= warnings
    assert not hashes(LONG.split("\n")[0]) & warnings
    assert bp.Boilerplate().frequent >= warnings


# leads of short notices: each under verify.MIN_CONTENT characters of its own, so the
# warnings stay in its matching key
LEADS = [
    "近日，我市发生多起冒充电商客服以退款理赔为由实施诈骗的案件。",
    "本周，城东派出所接报两起刷单返利诈骗，涉案金额较大。",
    "昨日，一市民因轻信网络贷款广告被骗走保证金。",
    "近期，冒充熟人借钱的诈骗在老年人中高发。",
    "上月，辖区发生一起虚假投资理财诈骗案。",
    "日前，有学生在游戏交易平台被骗走充值款。",
]


def test_short_notices_sharing_only_the_warnings_are_never_joined(archive: Archive) -> None:
    """Each notice is mostly the warnings; their own sentences differ. Matched on the
    warnings they would join, in a chain, however different their cases."""
    clusters = _store_and_dedup(archive, [lead + "\n" + WARNING for lead in LEADS])
    assert set(clusters.values()) == {None}


def test_a_short_notice_and_a_bare_warning_still_find_their_copies(archive: Archive) -> None:
    notice = LEADS[1] + "\n" + WARNING
    repost = "城东派出所：" + LEADS[1].replace("本周", "本星期") + "\n" + WARNING
    texts = [
        notice,
        repost,
        WARNING,
        WARNING.replace("一律是诈骗", "一律都是诈骗"),
        LEADS[2] + "\n" + WARNING,
    ]
    clusters = _store_and_dedup(archive, texts)
    a, b, w1, w2, other = clusters
    assert clusters[a] is not None and clusters[a] == clusters[b]
    assert clusters[w1] is not None and clusters[w1] == clusters[w2]
    assert clusters[w1] != clusters[a]  # the bare warning is not a copy of a notice
    assert clusters[other] is None


def test_texts_made_only_of_warnings_join_only_when_nearly_the_same(archive: Archive) -> None:
    """Every short notice holds most of a shorter text of the same warnings: as partial
    copies they would all join through it. Without words of their own, two texts are
    copies only when nearly the same."""
    sentences = WARNING.split("\n")
    two = "\n".join(sentences[:2])
    texts = [WARNING, two, "\n".join(sentences[:3]), "\n".join(sentences)]
    clusters = _store_and_dedup(archive, texts)
    full, short, three, again = clusters
    assert clusters[full] is not None and clusters[full] == clusters[again] == clusters[three]
    assert clusters[short] is None  # half the warnings: not a copy of all of them


def test_an_article_bridging_two_clusters_merges_them_only_if_their_heads_match(
    archive: Archive,
) -> None:
    """X holds most of A and of B, which share only half: X joins A's cluster (the
    earlier), and B's cluster stays apart. Merging every cluster an article matches
    chained a hundred template notices into one at a million articles."""
    s1, s2, s3, s4 = WARNING.split("\n")
    a, b, x = "\n".join([s1, s2, s3]), "\n".join([s1, s3, s4]), WARNING
    clusters = _store_and_dedup(archive, [a, a, b, b, x])
    a1, a2, b1, b2, bridge = clusters
    assert clusters[a1] is not None and clusters[a1] == clusters[a2] == clusters[bridge]
    assert clusters[b1] is not None and clusters[b1] == clusters[b2]
    assert clusters[b1] != clusters[a1]

"""Search behaviour: analysis, query syntax, filters, collapsing, facets, highlighting,
incremental indexing, rebuilds and concurrent reading. Real archives, real indexes."""

from __future__ import annotations

import pickle
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, func, select, update

from archive import Document, store_document
from archive.models import Article, Cluster, Member
from search import IndexBusy, IndexMissing, QueryError, search, update_index
from search.analysis import BigramCounts, BigramField, fold, phrase_needle, run_key, term_counts
from search.export import matching_ids
from search.highlight import snippet
from search.indexer import current_dir, open_index

CST = timezone(timedelta(hours=8))

STORY = (
    "近日，北京市民王女士接到自称客服的电话，对方称其快递丢失需要理赔。\n"
    "王女士按照提示下载了APP并共享屏幕，被骗3万元。请牢记：一证通查可以查询名下号码。\n"
    "如遇可疑情况，请拨打96110反诈专线。"
)
OTHER = (
    "上海警方破获一起刷单返利诈骗案，嫌疑人以做任务为名诱导受害人垫付。\n"
    "一证和通查是两回事，本文只谈刷单。"
)


def _doc(url, title, text, source="中国网", when=(2022, 5, 11, 9), types=("冒充客服",), **kw):
    return Document(
        url=url,
        title=title,
        text=text,
        source_name=source,
        source_kind="news",
        published_at=datetime(*when, tzinfo=CST) if when else None,
        fraud_types=list(types),
        **kw,
    )


@pytest.fixture
def filled(sqlite_archive):
    """Five articles: a story and two reposts (one cluster), two others."""
    arc = sqlite_archive
    with arc.session() as s:
        a = store_document(s, _doc("https://a.example/1", "冒充客服理赔诈骗", STORY)).article
        b = store_document(
            s,
            _doc(
                "https://b.example/1",
                "冒充客服理赔诈骗",
                "转自：人民网\n" + STORY,
                source="人民网",
                when=(2022, 5, 12, 10),
            ),
        ).article
        c = store_document(
            s,
            _doc(
                "https://c.example/1",
                "冒充客服理赔诈骗（转）",
                STORY.replace("3万元", "三万元"),
                source="澎湃新闻",
                when=(2022, 5, 13, 0, 30),
            ),
        ).article
        d = store_document(
            s,
            _doc(
                "https://d.example/1",
                "刷单返利又出新花样",
                OTHER,
                source="上海警方",
                when=(2021, 3, 1, 8),
                types=("刷单返利",),
            ),
        ).article
        e = store_document(
            s,
            _doc(
                "https://e.example/1",
                "無日期的舊聞",
                "這是一篇繁體文章，談詐騙與反詐。",
                when=None,
                types=(),
            ),
        ).article
        cl = Cluster(canonical_id=a.id, size=3)
        s.add(cl)
        s.flush()
        for art, rel in [(a, "canonical"), (b, "near"), (c, "near")]:
            s.add(Member(article_id=art.id, cluster_id=cl.id, relation=rel, similarity=0.95))
        ids = {"a": a.id, "b": b.id, "c": c.id, "d": d.id, "e": e.id, "cluster": cl.id}
    update_index(arc)
    return arc, ids


# -- analysis ------------------------------------------------------------------------


def test_fast_index_path_equals_the_analyzer():
    field = BigramField(field_boost=2.0)
    for text in [fold(STORY), "哈哈哈 APP-96110 反诈，骗", "a", ""]:
        fast = sorted(field.index(text))
        slow = sorted(
            (t.encode(), f, w, v)
            for t, f, w, v in BigramCounts(2.0).word_values(text, field.analyzer)
        )
        assert fast == slow
    assert sorted(field.index("骗骗骗")) == [
        ("骗".encode(), 1, 2.0, b""),
        ("骗骗".encode(), 2, 4.0, b""),
    ]


def test_bigrams_and_run_ends_counted():
    assert term_counts(fold("一证通查，APP下载 下载")) == {
        "一证": 1,
        "证通": 1,
        "通查": 1,
        "查": 1,
        "app": 1,
        "下载": 2,
        "载": 2,
    }


def test_run_key_and_phrase_needles():
    key = run_key(fold("打击反诈，APP下载。一证通查"))
    assert key == "\x01打击反诈\x01app\x01下载\x01一证通查\x01"

    def finds(terms):
        return phrase_needle(terms) in key

    assert finds(["反诈"]) and finds(["击反", "反诈"])  # inside or at the end of a run
    assert finds(["反诈", "诈", "app"])  # a run's end, then a word
    assert not finds(["打击", "击", "app"])  # 打击 does not end its run
    assert finds(["app", "下载"]) and finds(["载", "一证"])  # word then run start; across
    assert not finds(["app", "载"])  # 载 alone would be a run of one character
    assert finds(["下载", "载", "一证", "证通"])
    assert not finds(["诈a"]) and not finds(["pp"])  # words are whole
    assert not finds(["反诈", "诈", "下载"])  # runs must be adjacent
    assert phrase_needle(["app"]) == "\x01app\x01"


def test_fold_is_character_by_character_and_keeps_length():
    assert fold("一證通查 APP 詐騙") == "一证通查 app 诈骗"
    text = "乾隆年間，瞭解詐騙" * 3
    assert len(fold(text)) == len(text)


def test_schema_pickles_with_importable_analyzer(filled, tmp_path):
    arc, _ = filled
    ix = open_index(arc)
    clone = pickle.loads(pickle.dumps(ix.schema))
    assert type(clone["body"]).__module__ == "search.analysis"
    # a fresh interpreter (no search import beforehand) can open the index and search it
    code = (
        "from whoosh import index; from whoosh.query import Term; "
        f"ix = index.open_dir({str(current_dir(arc.index_dir))!r}); "
        "print(len(ix.searcher().search(Term('body', '一证'), limit=None)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert out.stdout.strip() == "4"  # the story, its two reposts, OTHER (一证和通查)


# -- query syntax and errors ---------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ('"一证通查', "unbalanced quote"),
        ("(反诈 OR 诈骗", "unbalanced parenthesis"),
        ("反诈)", "unbalanced parenthesis"),
        ("", "empty query"),
        ("   ", "empty query"),
        ("()", "empty parentheses"),
        ("反诈 AND", "ends with an operator"),
        ("OR 反诈", "needs a term"),
        ("foo:bar", "unknown field 'foo'"),
        ("title:", "needs a value"),
    ],
)
def test_bad_queries_raise_query_error(filled, query, message):
    arc, _ = filled
    with pytest.raises(QueryError, match=message):
        search(arc, query)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"since": "2022-13-01"}, "not a date"),
        ({"until": "yesterday"}, "not a date"),
        ({"since": "2023-01-01", "until": "2022-01-01"}, "after --until"),
        ({"sort": "random"}, "sort"),
        ({"limit": -1}, "limit"),
    ],
)
def test_bad_filters_raise_query_error(filled, kwargs, message):
    arc, _ = filled
    with pytest.raises(QueryError, match=message):
        search(arc, "诈骗", **kwargs)


def test_boolean_operators_phrases_and_fields(filled):
    arc, ids = filled

    def found(q):
        return set(matching_ids(arc, q))

    story = {ids["a"], ids["b"], ids["c"]}
    assert found("一证通查") == story
    assert found("一证 通查") == story | {ids["d"]}  # two words: both, anywhere
    assert found('"一证 通查"') == set()  # a phrase with a break: nowhere with a break
    assert found("一证通查 OR 刷单") == story | {ids["d"]}
    assert found("诈骗 NOT 刷单") == story | {ids["e"]}
    assert found("NOT 刷单") == story | {ids["e"]}
    assert found("(刷单 OR 理赔) AND 上海") == {ids["d"]}
    assert found("title:刷单") == {ids["d"]}
    assert found("title:一证通查") == set()
    assert found("source:人民网 一证通查") == {ids["b"]}
    assert found("type:刷单返利") == {ids["d"]}
    assert found("“一证通查”") == story  # Chinese quotes are phrase quotes
    assert found("3万元") == {ids["a"], ids["b"]}
    assert found("96110") == story and found("app") == story and found("ＡＰＰ下载") == set()
    assert found("下载了APP") == story and found("下载APP") == set()
    assert found("繁體") == {ids["e"]} == found("繁体")


# -- results: collapse, copies, filters, facets, sort, highlighting --------------------


def test_collapse_one_hit_per_cluster_with_copies(filled):
    arc, ids = filled
    res = search(arc, "一证通查")
    assert res["total"] == 1 and len(res["hits"]) == 1
    hit = res["hits"][0]
    assert hit["id"] == ids["a"] and hit["canonical"] is True  # the canonical copy shown
    assert hit["cluster"] == ids["cluster"] and hit["copies"] == 3
    assert hit["matching_copies"] == 3
    every = search(arc, "一证通查", all_copies=True)
    assert every["total"] == 3 and {h["id"] for h in every["hits"]} == {
        ids["a"],
        ids["b"],
        ids["c"],
    }


def test_collapse_shows_a_matching_copy_when_the_canonical_does_not_match(filled):
    arc, ids = filled
    res = search(arc, "三万元")
    assert [h["id"] for h in res["hits"]] == [ids["c"]]
    assert res["hits"][0]["copies"] == 3 and res["hits"][0]["matching_copies"] == 1


def test_articles_without_cluster_are_their_own_story(filled):
    arc, ids = filled
    res = search(arc, "诈骗")
    assert res["total"] == 3  # the story, the 刷单 article, the Traditional one
    by_id = {h["id"]: h for h in res["hits"]}
    assert by_id[ids["d"]]["cluster"] is None and by_id[ids["d"]]["copies"] == 1


def test_filters_source_type_and_dates(filled):
    arc, ids = filled

    def hit_ids(**kw):
        return {h["id"] for h in search(arc, "诈骗", all_copies=True, **kw)["hits"]}

    assert hit_ids(source="澎湃新闻") == {ids["c"]}
    assert hit_ids(source="不存在") == set()
    assert hit_ids(fraud_type="刷单返利") == {ids["d"]}
    # dates are China time: c was published 2022-05-13 00:30 +08:00 (2022-05-12 in UTC)
    assert hit_ids(since="2022-05-13") == {ids["c"]}
    assert hit_ids(until="2022-05-12") == {ids["a"], ids["b"], ids["d"]}
    assert hit_ids(since="2022-05", until="2022-05") == {ids["a"], ids["b"], ids["c"]}
    assert hit_ids(since="2021", until="2021") == {ids["d"]}
    # an article without a date is left out by a date filter, kept without one
    assert ids["e"] in hit_ids() and ids["e"] not in hit_ids(since="1990")


def test_facets_count_the_listed_hits(filled):
    arc, _ = filled
    res = search(arc, "诈骗")
    assert res["facets"]["source"] == {"中国网": 2, "上海警方": 1}
    assert res["facets"]["year"] == {"2022": 1, "2021": 1}
    assert res["facets"]["fraud_type"] == {"冒充客服": 1, "刷单返利": 1}
    every = search(arc, "诈骗", all_copies=True)
    assert every["facets"]["source"] == {
        "中国网": 2,
        "人民网": 1,
        "澎湃新闻": 1,
        "上海警方": 1,
    }
    assert sum(every["facets"]["year"].values()) == 4  # the undated one has no year


def test_sort_by_date_newest_first_and_paging(filled):
    arc, ids = filled
    res = search(arc, "诈骗", all_copies=True, sort="date")
    assert [h["id"] for h in res["hits"]] == [ids["c"], ids["b"], ids["a"], ids["d"], ids["e"]]
    page = search(arc, "诈骗", all_copies=True, sort="date", limit=2, offset=2)
    assert [h["id"] for h in page["hits"]] == [ids["a"], ids["d"]] and page["total"] == 5
    assert res["hits"][0]["published"] == "2022-05-13T00:30:00+08:00"


def test_highlighting_marks_the_query_on_the_readable_text(filled):
    arc, ids = filled
    hit = search(arc, "一證通查 96110")["hits"][0]
    assert "【一证通查】" in hit["snippet"] and "【96110】" in hit["snippet"]
    for a, b in hit["highlights"]:
        assert fold(hit["snippet_text"][a:b]) in ("一证通查", "96110")
    trad = search(arc, "诈骗")["hits"]
    e = next(h for h in trad if h["id"] == ids["e"])
    assert "【詐騙】" in e["snippet"]  # the text as written, found through folding


def test_snippet_marks_across_width_and_case():
    snip = snippet("请下载ＡＰＰ，拨打９６１１０。", ["app", "96110"])
    assert snip.marked == "请下载【ＡＰＰ】，拨打【９６１１０】。"
    assert snip.spans == [(3, 6), (9, 14)]
    long = "无关内容。" * 100 + "一证通查" + "无关内容。" * 100
    s2 = snippet(long, ["一证通查"], width=60)
    assert "【一证通查】" in s2.marked and len(s2.text) <= 64


# -- the index life cycle ------------------------------------------------------------


def test_search_before_any_index_is_a_clear_error(sqlite_archive):
    with pytest.raises(IndexMissing, match="fanzha index"):
        search(sqlite_archive, "反诈")


def test_incremental_update_changed_new_and_deleted_articles(filled):
    arc, ids = filled
    with arc.session() as s:
        flagged = s.scalar(select(Article.id).where(Article.needs_index.is_(True)))
    assert flagged is None  # indexing cleared every flag
    assert update_index(arc).as_json() == {
        "indexed": 0,
        "deleted": 0,
        "total": 5,
        "rebuilt": False,
    }
    with arc.session() as s:
        store_document(
            s, _doc("https://d.example/1", "刷单返利又出新花样", "改写后的正文：游戏装备交易诈骗。")
        )
        store_document(s, _doc("https://f.example/1", "新文章", "警惕虚假征信修复。"))
        s.execute(delete(Article).where(Article.id == ids["e"]))
    report = update_index(arc)
    assert report.as_json() == {"indexed": 2, "deleted": 1, "total": 5, "rebuilt": False}
    assert matching_ids(arc, "body:刷单") == []  # the old text is gone (the title kept it)
    assert matching_ids(arc, "游戏装备") == [ids["d"]]
    assert len(matching_ids(arc, "征信修复")) == 1
    assert matching_ids(arc, "繁體") == []


def test_an_update_of_many_articles_commits_a_segment_at_a_time(filled, monkeypatch):
    """Flagged articles go in ``segment_docs`` a commit, each commit's flags cleared
    after it: an update cut short keeps what it committed, and the next goes on."""
    from search import indexer

    arc, ids = filled
    with arc.session() as s:
        for i in range(7):
            store_document(
                s, _doc(f"https://n.example/{i}", f"新通报{i}", f"第{i}号：警惕征信修复。")
            )
        s.execute(delete(Article).where(Article.id == ids["e"]))
    commits = []
    real_clear = indexer._clear_flags

    class Cut(Exception):
        pass

    def clear_then_fail(archive, done):
        real_clear(archive, done)
        commits.append(len(done))
        if len(commits) == 2:
            raise Cut  # the update stops after its second commit

    monkeypatch.setattr(indexer, "_clear_flags", clear_then_fail)
    with pytest.raises(Cut):
        update_index(arc, segment_docs=3)
    assert commits == [3, 3]
    with arc.session() as s:
        left = s.scalar(select(func.count()).where(Article.needs_index.is_(True)))
    assert left == 1
    monkeypatch.setattr(indexer, "_clear_flags", real_clear)
    report = update_index(arc, segment_docs=3)
    assert (report.indexed, report.deleted, report.total) == (1, 0, 11)
    assert len(matching_ids(arc, "征信修复")) == 7
    assert matching_ids(arc, "繁體") == []


def test_reclustered_articles_are_reindexed(filled):
    arc, ids = filled
    with arc.session() as s:
        s.execute(update(Cluster).values(canonical_id=ids["b"]))
        s.execute(
            update(Article).where(Article.id.in_([ids["a"], ids["b"]])).values(needs_index=True)
        )
    assert update_index(arc).indexed == 2
    assert search(arc, "一证通查")["hits"][0]["id"] == ids["b"]


def test_rebuild_swaps_generations_while_a_reader_keeps_working(filled):
    arc, _ = filled
    before = current_dir(arc.index_dir)
    ix = open_index(arc)
    with ix.searcher() as old:
        report = update_index(arc, rebuild=True)
        assert report.rebuilt and report.total == 5
        after = current_dir(arc.index_dir)
        assert after != before
        # the searcher opened before the swap still reads the old generation
        from whoosh.query import Term

        assert len(old.search(Term("body", "一证"), limit=None)) == 4
    assert search(arc, "一证通查")["total"] == 1
    update_index(arc, rebuild=True)
    assert not before.exists()  # two generations later the old one is gone


def test_an_index_of_an_older_format_is_rebuilt_not_misread(filled):
    """An index written before the run-key columns (positions in the postings) cannot
    check phrases: search says so in one line, and ``update_index`` rebuilds it."""
    from whoosh import index as whoosh_index

    from search import IndexOutdated
    from search.indexer import _new_generation, _swap
    from search.schema import build_schema

    arc, _ = filled
    old_schema = build_schema()
    old_schema.remove("title_key")
    old_schema.remove("body_key")
    root = arc.index_dir
    gen = _new_generation(root)
    w = whoosh_index.create_in(str(gen), old_schema).writer()
    w.add_document(id="1", body="一证通查")
    w.commit()
    _swap(root, gen)
    with pytest.raises(IndexOutdated, match="run 'fanzha index' to rebuild it"):
        search(arc, "一证通查")
    report = update_index(arc)
    assert report.rebuilt and report.total == 5
    assert search(arc, "一证通查")["total"] == 1


def test_search_works_while_the_index_is_being_written(filled):
    arc, _ = filled
    ix = open_index(arc)
    writer = ix.writer()
    try:
        writer.delete_by_term("id", "1")
        assert search(arc, "一证通查")["total"] == 1  # readers never wait for the writer
    finally:
        writer.cancel()


def test_second_writer_is_refused(filled):
    from whoosh.filedb.filestore import FileStorage

    arc, _ = filled
    lock = FileStorage(str(arc.index_dir)).lock("WRITELOCK")
    assert lock.acquire()
    try:
        with pytest.raises(IndexBusy) as info:
            update_index(arc)
        assert info.value.exit_code == 3
    finally:
        lock.release()


def test_index_and_search_on_each_database(archive):
    """SQLite and PostgreSQL alike."""
    with archive.session() as s:
        store_document(s, _doc("https://a.example/pg", "冒充客服理赔诈骗", STORY))
    assert update_index(archive).indexed == 1
    res = search(archive, "一证通查 96110")
    assert res["total"] == 1 and "【一证通查】" in res["hits"][0]["snippet"]


def test_collapse_and_facets_follow_an_incremental_update(filled):
    """The per-index arrays (cluster, source, year, types by docnum) are cached per
    segment, and the searcher kept between calls is reopened: new, re-indexed and
    deleted articles must all show in the next search."""
    arc, ids = filled
    before = search(arc, "诈骗")
    assert before["facets"]["source"] == {"中国网": 2, "上海警方": 1}
    with arc.session() as s:
        f = store_document(
            s,
            _doc(
                "https://f.example/1",
                "又一起冒充客服诈骗",
                "转载：" + STORY,
                source="新华网",
                when=(2023, 1, 2, 9),
                types=("冒充客服", "网络贷款"),
            ),
        ).article
        s.add(Member(article_id=f.id, cluster_id=ids["cluster"], relation="near", similarity=0.9))
        s.execute(update(Cluster).values(size=4))
        s.execute(delete(Article).where(Article.id == ids["d"]))
        s.execute(update(Article).values(needs_index=True))
    update_index(arc)
    res = search(arc, "诈骗")
    assert res["total"] == 2  # the story (now 4 copies) and the Traditional article
    story = next(h for h in res["hits"] if h["cluster"] == ids["cluster"])
    assert story["id"] == ids["a"] and story["copies"] == 4 and story["matching_copies"] == 4
    assert res["facets"]["source"] == {"中国网": 2}  # the canonical copy and the undated one
    assert res["facets"]["fraud_type"] == {"冒充客服": 1}
    every = search(arc, "诈骗", all_copies=True)
    assert every["total"] == 5 and every["facets"]["source"]["新华网"] == 1
    assert "上海警方" not in every["facets"]["source"]  # deleted: gone from the index
    assert every["facets"]["year"] == {"2023": 1, "2022": 3}
    assert every["facets"]["fraud_type"] == {"冒充客服": 4, "网络贷款": 1}
    newest = search(arc, "诈骗", all_copies=True, sort="date", limit=1)["hits"][0]
    assert newest["id"] == f.id


@pytest.mark.parametrize("storage", ["files", "memory"])
def test_phrase_checks_read_run_keys_in_place_or_through_the_reader(storage, tmp_path):
    """Phrase candidates are checked in the mmap-ed column data when Whoosh maps the
    segment files, through the column reader otherwise: both give the exact phrase
    matches, over several segments."""
    from whoosh.filedb.filestore import FileStorage, RamStorage

    from search import array_eval
    from search.analysis import run_key
    from search.query import build_query
    from search.schema import build_schema

    st = FileStorage(str(tmp_path)) if storage == "files" else RamStorage()
    ix = st.create_index(build_schema())
    texts = ["一证通查很方便", "一证和通查", "通查一证", "下载APP，一证通查", "反诈APP下载"]
    for batch in (texts[:2], texts[2:]):  # two segments
        w = ix.writer()
        for t in batch:
            w.add_document(id=t, body=t, body_key=run_key(fold(t)).encode())
        w.commit(merge=False)
    with ix.searcher() as s:
        assert len(list(s.reader().leaf_readers())) == 2
        keys = array_eval.RunKeys(list(s.reader().leaf_readers()), "body_key")
        assert (keys.segments[0].mm is not None) == (storage == "files")

        def found(q):
            wq, _ = build_query(f"body:{q}", s.reader())
            return {
                s.stored_fields(d)["id"]
                for d, _ in array_eval.matches(array_eval.Evaluator(s).evaluate(wq))
            }

        assert found("一证通查") == {"一证通查很方便", "下载APP，一证通查"}
        assert found("APP下载") == {"反诈APP下载"}
        assert found("下载APP") == {"下载APP，一证通查"}
        assert found("通查一证") == {"通查一证"}


@pytest.mark.parametrize("segment_docs", [1, 2, 5])
def test_a_rebuild_in_several_segments_finds_what_one_segment_finds(filled, segment_docs):
    """A rebuild writes at most ``segment_docs`` articles a segment (bounded memory at a
    million articles); the search answers, collapsing and facets are the same."""
    arc, _ = filled
    queries = ["冒充客服", "一证通查", "刷单", "繁體", "诈骗"]
    update_index(arc, rebuild=True)
    with open_index(arc).searcher() as s:
        assert len(s.reader().leaf_readers()) == 1
    expected = [search(arc, q, facets=True) for q in queries]
    progress: list[tuple[int, int | None]] = []
    report = update_index(
        arc, rebuild=True, segment_docs=segment_docs, progress=lambda d, t: progress.append((d, t))
    )
    assert report.indexed == 5 and report.total == 5
    assert progress[-1] == (5, 5)
    with open_index(arc).searcher() as s:
        assert len(s.reader().leaf_readers()) == -(-5 // segment_docs)
    assert [search(arc, q, facets=True) for q in queries] == expected
    with pytest.raises(ValueError, match="segment_docs"):
        update_index(arc, rebuild=True, segment_docs=0)


def test_a_rebuild_written_by_worker_processes_finds_what_one_process_finds(filled, monkeypatch):
    """Two worker processes each write parts of the articles (in id order) into indexes
    of their own, whose segments are listed in one table of contents: the answers,
    collapsing, facets and id order are those of a rebuild in one process."""
    from search import indexer

    arc, _ = filled
    queries = ["冒充客服", "一证通查", "刷单", "繁體", "诈骗"]
    update_index(arc, rebuild=True, workers=1, segment_docs=2)
    expected = [search(arc, q, facets=True) for q in queries]
    with open_index(arc).searcher() as s:
        ids = [s.stored_fields(d)["id"] for d in range(s.doc_count_all())]
    monkeypatch.setattr(indexer, "PARALLEL_FROM", 1)
    progress: list[tuple[int, int | None]] = []
    report = update_index(
        arc, rebuild=True, workers=2, segment_docs=2, progress=lambda d, t: progress.append((d, t))
    )
    assert report.indexed == 5 and report.total == 5 and progress[-1] == (5, 5)
    live = current_dir(indexer.index_root(arc))
    assert not [p for p in live.iterdir() if p.is_dir()]  # the parts' folders are gone
    assert open_index(arc).latest_generation() == 1  # one table of contents, not 3 commits
    with open_index(arc).searcher() as s:
        assert len(s.reader().leaf_readers()) == 3  # parts of 2, 2 and 1 articles
        assert [s.stored_fields(d)["id"] for d in range(s.doc_count_all())] == ids
    assert [search(arc, q, facets=True) for q in queries] == expected
    with arc.session() as s:
        assert not s.scalar(select(func.count()).where(Article.needs_index.is_(True)))


def test_incremental_merges_leave_a_rebuilds_large_segments_alone(filled):
    """Whoosh's MERGE_SMALL, once there are five segments or more, merges all of them up
    to its merge point; ``merge_small_segments`` lets it merge only the small ones."""
    from whoosh.writing import MERGE_SMALL

    from search.indexer import merge_small_segments

    arc, _ = filled
    update_index(arc, rebuild=True, segment_docs=1)  # five segments of one article
    ix = open_index(arc)
    segments = ix._segments()
    assert len(segments) == 5
    writer = ix.writer()
    try:
        assert len(MERGE_SMALL(writer, list(segments))) < 5  # stock: merged
        assert merge_small_segments(writer, list(segments), small_docs=1) == segments
        assert len(merge_small_segments(writer, list(segments), small_docs=2)) < 5
    finally:
        writer.cancel()
    with arc.session() as s:
        s.execute(update(Article).values(needs_index=True).where(Article.id == 1))
    update_index(arc)  # an incremental commit, default threshold: one-article segments merge
    assert search(arc, "冒充客服")["total"] >= 1


def test_a_repeated_search_is_answered_from_the_cache_until_the_index_changes(filled, monkeypatch):
    """The index's answer to a search is kept (per process) under the index's state:
    the same search again is not evaluated again, and any update (a new article, a
    deletion) gives a fresh answer."""
    from search import results

    arc, _ = filled
    update_index(arc)
    results.clear_result_cache()
    calls: list[str] = []
    real = results._rank

    def counted(s, query, *rest):
        calls.append(query)
        return real(s, query, *rest)

    monkeypatch.setattr(results, "_rank", counted)
    first = search(arc, "冒充客服", facets=True)
    first["facets"]["source"].clear()  # a caller changing its result changes no cache
    again = search(arc, "冒充客服", facets=True)
    assert calls == ["冒充客服"] and again["facets"]["source"]
    assert search(arc, "冒充客服", limit=1)["hits"] == again["hits"][:1]
    assert calls == ["冒充客服", "冒充客服"]  # another page: another answer
    with arc.session() as s:
        store_document(s, _doc("https://d.example/9", "冒充客服新案", "冒充客服诈骗又有新花样。"))
    update_index(arc)
    fresh = search(arc, "冒充客服", facets=True)
    assert len(calls) == 3 and fresh["total"] == again["total"] + 1
    with arc.session() as s:
        s.execute(delete(Article).where(Article.url == "https://d.example/9"))
    update_index(arc)  # a deletion only: the same segments, fewer live documents
    assert search(arc, "冒充客服", facets=True)["total"] == again["total"]
    assert len(calls) == 4


def test_threads_asking_at_once_decode_each_segment_once(filled, monkeypatch):
    """A web server's threads all ask for the per-document arrays after a start: one
    decodes the segments, the others wait for its arrays (each decoding them cost
    gigabytes at a million articles); all get the same arrays."""
    import threading
    import time

    from search import docvalues

    arc, _ = filled
    update_index(arc, rebuild=True, workers=1, segment_docs=2)  # three segments
    monkeypatch.setattr(docvalues, "_VALUES", {})
    monkeypatch.setattr(docvalues, "_SEGMENTS", {})
    decoded: list[int] = []
    real = docvalues._decode_segment

    def slow_decode(reader):
        decoded.append(reader.doc_count_all())
        time.sleep(0.05)  # room for the other threads to arrive meanwhile
        return real(reader)

    monkeypatch.setattr(docvalues, "_decode_segment", slow_decode)
    got: list[object] = []
    start = threading.Barrier(6)

    def ask() -> None:
        with open_index(arc).searcher() as s:
            start.wait()
            got.append(docvalues.doc_values(s))

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(decoded) == [1, 2, 2]  # each segment once, not once a thread
    assert len(got) == 6 and all(dv is got[0] for dv in got)
    with arc.session() as s:
        assert sorted(got[0].aid.tolist()) == sorted(s.scalars(select(Article.id)))

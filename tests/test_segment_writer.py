"""``BulkSegmentWriter`` writes the segments Whoosh's own ``SegmentWriter`` writes.

The same documents (the real schema, documents made by ``search.indexer.to_document``
from archive-like rows) go once through ``BulkSegmentWriter`` and once through Whoosh's
stock ``SegmentWriter`` with the same codec (``W3Codec(blocklimit=BLOCK_POSTINGS)``);
every file of every segment must be the same bytes (segments are written uncompounded
for that: a compound file lists its parts under the segment's random name). Beside the
byte comparison, the bigram fields' postings are checked against an oracle computed
from the texts (``term_counts`` of the folded text, times the field and document
boosts), so that neither a vacuous index nor a mistake shared by both writers passes.
Covered: a fresh build (default and tiny posting blocks, postings packed into many
array chunks), deletions and updates into an existing index, and a merge
(``add_reader``, deleted documents dropped) in the same segment as new documents.
"""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
from whoosh import index
from whoosh.codec.whoosh3 import W3Codec
from whoosh.writing import SegmentWriter

from search import segment_writer
from search.analysis import fold, term_counts
from search.indexer import to_document
from search.query import build_query
from search.schema import build_schema
from search.segment_writer import BLOCK_POSTINGS, BulkSegmentWriter

from .search_corpus import generate

CST = timezone(timedelta(hours=8))
WRITERS = {"bulk": BulkSegmentWriter, "stock": SegmentWriter}


def _row(aid: int, title: str, body: str, **kw: Any) -> SimpleNamespace:
    """An archive row as ``search.indexer._rows_stmt`` selects it."""
    fields: dict[str, Any] = {
        "id": aid,
        "url": f"https://example.org/{aid}.html",
        "title": title,
        "norm_text": body,
        "published_at": datetime(2023, 1 + aid % 12, 1 + aid % 28, 9, tzinfo=CST),
        "fraud_types": ["冒充客服"],
        "content_hash": f"h{aid}",
        "name": "中国网",
        "key": "chinanews",
        "kind": "news",
        "site": "chinanews",
        "cluster_id": None,
        "canonical_id": None,
        "size": 1,
    }
    fields.update(kw)
    return SimpleNamespace(**fields)


def _handmade() -> list[tuple[SimpleNamespace, list[dict]]]:
    """Edge cases: Traditional characters, empty and one-character texts, Latin words
    and digits, punctuation only, no date, clusters, indicators."""
    phone = {"kind": "phone", "value": "13800138000", "role": "suspect"}
    app = {"kind": "app", "value": "安全,卫士", "role": "suspect"}  # a comma in a keyword
    return [
        (_row(9001, "反詐騙宣導：警惕冒充客服", "警方提醒：詐騙集團冒充客服，請勿轉帳。"), [phone]),
        (_row(9002, "", ""), []),
        (_row(9003, "骗", "诈"), []),
        (_row(9004, "A", "拨打96110，下载APP，转账5200元。QQ号：12345"), [phone, app]),
        (_row(9005, "。。！！", "——……，，"), []),
        (_row(9006, "无日期的通报", "诈骗诈骗诈骗诈骗", published_at=None, fraud_types=[]), []),
        (_row(9007, "聚类中的转载", "转自：人民网\n诈骗", cluster_id=3, canonical_id=9001), []),
        (_row(9008, "聚类的原文", "諮詢客服後被騙3萬元", cluster_id=3, canonical_id=9008), []),
        (_row(9009, "全角ＡＰＰ１２３", "ｗｅｃｈａｔ：ａｂｃ", site=None, name=None), []),
    ]


def _corpus(n: int = 120, seed: int = 11) -> list[dict[str, Any]]:
    """Generated bulletins and the edge cases, as the indexer's documents; a few
    carry a document boost or a title boost (the writer supports both)."""
    rows = [
        (
            _row(
                i + 1,
                a.title,
                a.text,
                published_at=a.published,
                fraud_types=a.fraud_types,
                name=a.source,
                kind=a.kind,
            ),
            [{"kind": "phone", "value": f"1380013{i:04d}", "role": "suspect"}] if i % 4 else [],
        )
        for i, a in enumerate(generate(n, seed=seed))
    ]
    docs = [to_document(row, named) for row, named in rows[:60] + _handmade() + rows[60:]]
    docs[5]["_boost"] = 1.5
    docs[7]["_title_boost"] = 3.0
    docs[min(60, n) + 7]["_boost"] = 0.5  # an edge case (Traditional text) boosted too
    return docs


def _create(path: Path) -> Any:
    path.mkdir(parents=True)
    return index.create_in(str(path), build_schema())


def _writer(kind: str, ix: Any, blocklimit: int = BLOCK_POSTINGS, **kw: Any) -> Any:
    return WRITERS[kind](ix, codec=W3Codec(blocklimit=blocklimit), compound=False, **kw)


def _build(path: Path, kind: str, docs: list[dict[str, Any]], **kw: Any) -> Any:
    ix = _create(path)
    w = _writer(kind, ix, **kw)
    for doc in docs:
        w.add_document(**doc)
    w.commit()
    return ix


def _segments(path: Path) -> list[dict[str, Any]]:
    """Per segment in the table of contents: its document count, deleted documents and
    the bytes of each of its files (named without the segment's random id)."""
    toc = index.open_dir(str(path))._read_toc()
    out = []
    for seg in toc.segments:
        prefix = seg.segment_id() + "."
        files = {f.name[len(prefix) :]: f.read_bytes() for f in path.glob(prefix + "*")}
        out.append(
            {"docs": seg.doc_count_all(), "deleted": sorted(seg.deleted_docs()), "files": files}
        )
    return out


def _assert_same_segments(a: Path, b: Path) -> None:
    sa, sb = _segments(a), _segments(b)
    assert [(s["docs"], s["deleted"]) for s in sa] == [(s["docs"], s["deleted"]) for s in sb]
    for seg_a, seg_b in zip(sa, sb, strict=True):
        assert sorted(seg_a["files"]) == sorted(seg_b["files"])
        assert {"pst", "trm", "_stored.col", "_body_len.col"} <= set(seg_a["files"])
        for name, data in seg_a["files"].items():
            assert data == seg_b["files"][name], f"{name} differs"


def _contents(ix: Any) -> dict[str, Any]:
    """What a reader sees: terms with their statistics and postings, field lengths,
    stored fields, column values, deletions."""
    with ix.reader() as r:
        postings = {}
        for field in r.indexed_field_names():
            for term in r.lexicon(field):
                ti = r.term_info(field, term)
                m = r.postings(field, term)
                plist = []
                while m.is_active():
                    plist.append((m.id(), m.weight()))
                    m.next()
                stats = (ti.weight(), ti.doc_frequency(), ti.min_length(), ti.max_length())
                postings[(field, term)] = (stats, ti.max_weight(), plist)
        n = r.doc_count_all()
        return {
            "postings": postings,
            "lengths": {
                f: [r.doc_field_length(d, f) for d in range(n)] for f in r.schema.scorable_names()
            },
            "stored": [None if r.is_deleted(d) else r.stored_fields(d) for d in range(n)],
            "info": [r.column_reader("info")[d] for d in range(n)],
            "keys": [r.column_reader("body_key")[d] for d in range(n)],
        }


def _results(ix: Any, queries: list[str]) -> list[list[tuple[str, float]]]:
    out = []
    with ix.searcher() as s:
        for q in queries:
            query, _ = build_query(q, s.reader())
            out.append([(h["id"], round(h.score, 9)) for h in s.search(query, limit=None)])
    return out


def _expected_bigram_postings(docs: list[dict[str, Any]]) -> dict[tuple[str, bytes], dict]:
    """The bigram fields' postings the documents should give: docnum -> weight."""
    schema = build_schema()
    want: dict[tuple[str, bytes], dict[int, float]] = {}
    for docnum, doc in enumerate(docs):
        for field in ("title", "body"):
            boost = doc.get(f"_{field}_boost", doc.get("_boost", 1.0))
            fb = schema[field].format.field_boost
            for term, n in term_counts(fold(doc[field])).items():
                weight = float(np.float32(n * fb * boost))
                want.setdefault((field, term.encode("utf-8")), {})[docnum] = weight
    return want


def _assert_bigram_postings(ix: Any, docs: list[dict[str, Any]]) -> None:
    want = _expected_bigram_postings(docs)
    got = {
        key: dict(plist)
        for key, (_, _, plist) in _contents(ix)["postings"].items()
        if key[0] in ("title", "body")
    }
    assert got == want


def test_a_fresh_index_is_byte_for_byte_the_stock_writers(tmp_path: Path) -> None:
    docs = _corpus()
    bulk = _build(tmp_path / "bulk", "bulk", docs)
    _build(tmp_path / "stock", "stock", docs)
    _assert_same_segments(tmp_path / "bulk", tmp_path / "stock")
    _assert_bigram_postings(bulk, docs)
    with bulk.reader() as r:
        assert r.doc_count() == len(docs)
        assert not r.doc_field_length(61, "title")  # the empty title (9002)
        assert r.doc_field_length(62, "body") == 1  # "诈" (9003)
        assert r.doc_field_length(60, "body") == sum(term_counts(fold(docs[60]["body"])).values())
    assert _results(bulk, ["詐騙", "诈骗", "96110", "app", "客服 退款"])[0]


def test_many_small_blocks_and_array_chunks(tmp_path: Path, monkeypatch) -> None:
    """Blocks of 8 postings (every common term has many, the last one marked), the
    postings packed into arrays every 64 postings and converted to lists for writing
    100 at a time: still the stock writer's files."""
    monkeypatch.setattr(segment_writer, "_BATCH", 64)
    monkeypatch.setattr(segment_writer, "_WINDOW", 100)
    docs = _corpus(60, seed=3)
    bulk = _build(tmp_path / "bulk", "bulk", docs, blocklimit=8)
    _build(tmp_path / "stock", "stock", docs, blocklimit=8)
    _assert_same_segments(tmp_path / "bulk", tmp_path / "stock")
    _assert_bigram_postings(bulk, docs)
    with bulk.reader() as r:
        assert r.doc_frequency("body", "诈骗") > 5 * 8


def test_updates_deletions_and_a_merge_match_the_stock_writer(tmp_path: Path) -> None:
    docs = _corpus(80, seed=5)
    base = tmp_path / "base"
    ix = _build(base, "stock", docs[:50])  # two segments to start from
    w = _writer("stock", ix)
    for doc in docs[50:]:
        w.add_document(**doc)
    w.commit(merge=False)
    changed = dict(docs[3], body=docs[3]["body"] + "\n更正：涉案金额为5万元。", title="更正")
    fresh = _corpus(6, seed=99)
    fresh = [dict(d, id=f"n{i}", url=f"https://example.org/n{i}") for i, d in enumerate(fresh)]
    for kind in WRITERS:
        path = tmp_path / kind
        shutil.copytree(base, path)
        ix = index.open_dir(str(path))
        # Session 1: deletions, an update and new documents in a new segment.
        w = _writer(kind, ix)
        assert w.delete_by_term("id", docs[10]["id"]) == 1
        assert w.delete_by_term("id", docs[55]["id"]) == 1
        w.update_document(**changed)
        for doc in fresh[:3]:
            w.add_document(**doc)
        w.commit(merge=False)
    _assert_same_segments(tmp_path / "bulk", tmp_path / "stock")
    for kind in WRITERS:
        # Session 2: new documents and every segment merged into the same one
        # (``add_reader``: the merged postings join the new documents' arrays).
        ix = index.open_dir(str(tmp_path / kind))
        w = _writer(kind, ix)
        for doc in fresh[3:]:
            w.add_document(**doc)
        w.commit(optimize=True)
    _assert_same_segments(tmp_path / "bulk", tmp_path / "stock")
    bulk = index.open_dir(str(tmp_path / "bulk"))
    assert len(_segments(tmp_path / "bulk")) == 1
    live = [d for i, d in enumerate(docs) if i not in (3, 10, 55)]
    # The merged segment: the new documents first, then the old ones in order.
    _assert_bigram_postings(bulk, fresh[3:] + live + [changed] + fresh[:3])


def test_the_indexers_default_writer_gives_the_same_index(tmp_path: Path) -> None:
    """As ``search.indexer`` uses it (compound segments, ``update_document``, Whoosh's
    default merge policy, which merges the small segments once there are more than
    four): the same terms, postings, lengths, stored fields, columns and search results
    as the stock writer with the same block size."""
    docs = _corpus(70, seed=8)
    parts = [docs[:30], *(docs[i : i + 8] for i in range(30, len(docs), 8))]
    indexes = {}
    for kind, cls in WRITERS.items():
        ix = _create(tmp_path / kind)
        for part in parts:
            w = cls(ix, codec=W3Codec(blocklimit=BLOCK_POSTINGS), limitmb=256)
            for doc in part:
                w.update_document(**doc)
            w.update_document(**dict(docs[0], body=docs[0]["body"] + f"第{len(part)}次"))
            w.commit()
        indexes[kind] = ix
    bulk, stock = indexes["bulk"], indexes["stock"]
    assert len(bulk._read_toc().segments) < len(parts)  # segments were merged
    assert _contents(bulk) == _contents(stock)
    queries = ["诈骗", "詐騙", "冒充客服", "刷单 返利", "96110", "app", "phone:13800130001"]
    assert _results(bulk, queries) == _results(stock, queries)
    assert all(_results(bulk, queries[:3]))

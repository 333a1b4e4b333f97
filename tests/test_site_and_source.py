"""``source`` is the publisher a page names, ``site`` the site it was crawled from
(issue 15, item 1): stored, migrated, exported, searched, faceted, served.

Real parts: fixture pages through the crawler's page path (``page_document``), a real
SQLite archive, the Alembic migrations, a real Whoosh index and the FastAPI app.
"""

from __future__ import annotations

import io
import json
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select

from archive import Archive
from archive.db import alembic_config
from archive.extract.page import page_document
from archive.models import Article
from archive.provenance import attribute
from archive.store import store_document
from fanzha.config import Settings
from fanzha.web import create_app
from search import search
from search.export import export_articles
from search.indexer import update_index

from .conftest import run

PAGES = Path(__file__).parent / "data" / "pages"


def crawl_page(archive: Archive, name: str, url: str, site: str, site_name: str) -> int:
    """One fixture page the way the crawler stores it (extract, attribute, store)."""
    doc = page_document((PAGES / name).read_bytes(), url, judge=False).document
    assert doc is not None
    doc.fraud_types = ["刷单返利"]
    doc.extra["site"] = site
    attribute(doc, site_key=site, site_name=site_name, site_kind="police")
    with archive.session() as s:
        return store_document(s, doc).article.id


@pytest.fixture
def crawled(sqlite_archive: Archive) -> tuple[Archive, dict[str, int]]:
    ids = {
        # names 来源：平安日报 under its headline
        "news": crawl_page(
            sqlite_archive, "news.html", "https://news.example.cn/a/1.html", "xmnews", "厦门新闻网"
        ),
        # a WeChat page: the account publishes
        "wechat": crawl_page(
            sqlite_archive,
            "wechat_signoff.html",
            "https://mp.weixin.qq.com/s/abc",
            "wx",
            "公众号镜像",
        ),
        # names no publisher: the site's own name
        "plain": crawl_page(
            sqlite_archive, "malformed.html", "https://fz.example.cn/a/4.html", "fzsite", "某反诈网"
        ),
    }
    return sqlite_archive, ids


def test_source_is_the_publisher_and_site_where_it_was_crawled(crawled):
    archive, ids = crawled
    with archive.session() as s:
        got = {k: s.get(Article, v) for k, v in ids.items()}
        assert (got["news"].source.name, got["news"].site) == ("平安日报", "xmnews")
        assert (got["wechat"].source.name, got["wechat"].site) == ("平安海沧", "wx")
        assert (got["plain"].source.name, got["plain"].site) == ("某反诈网", "fzsite")
        assert got["plain"].source.key == "fzsite"  # the site's own row, as before


def test_export_search_facets_and_api_carry_site_and_source(crawled):
    archive, ids = crawled
    out = io.StringIO()
    export_articles(archive, "jsonl", out)
    rows = {r["id"]: r for r in map(json.loads, out.getvalue().splitlines())}
    assert (rows[ids["news"]]["source"], rows[ids["news"]]["site"]) == ("平安日报", "xmnews")
    csv_out = io.StringIO()
    export_articles(archive, "csv", csv_out)
    header = csv_out.getvalue().splitlines()[0]
    assert '"source","site"' in header

    update_index(archive)
    every = search(archive, "骗", all_copies=True, limit=10)
    assert every["facets"]["site"] == {"xmnews": 1, "wx": 1, "fzsite": 1}
    assert every["facets"]["source"]["平安日报"] == 1
    by_site = search(archive, "骗", site="wx", all_copies=True)
    assert [h["id"] for h in by_site["hits"]] == [ids["wechat"]]
    assert by_site["hits"][0]["site"] == "wx" and by_site["hits"][0]["source"] == "平安海沧"
    # the source: filter and query field still work, on the publisher
    assert [h["id"] for h in search(archive, "source:平安日报", all_copies=True)["hits"]] == [
        ids["news"]
    ]
    assert [h["id"] for h in search(archive, "骗 site:fzsite", all_copies=True)["hits"]] == [
        ids["plain"]
    ]

    with TestClient(create_app(Settings(home=archive.home))) as client:
        art = client.get(f"/api/articles/{ids['news']}").json()
        assert (art["source"], art["site"]) == ("平安日报", "xmnews")
        res = client.get("/api/search", params={"q": "诈骗", "site": "xmnews", "all_copies": True})
        assert [h["site"] for h in res.json()["hits"]] == ["xmnews"]
        page = client.get(f"/articles/{ids['news']}").text
        assert "xmnews" in page and "平安日报" in page


def test_migration_backfills_site_and_publisher(tmp_path: Path, db_url: str | None):
    url = db_url or f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    command.upgrade(alembic_config(engine), "0006_article_alias")
    source = sa.table("source", *(sa.column(c) for c in ("id", "key", "name", "kind")))
    cols = ("id", "url", "source_id", "title", "text", "norm_text", "content_hash")
    article = sa.table(
        "article",
        *(sa.column(c) for c in cols),
        sa.column("fetched_at", sa.DateTime),
        sa.column("changed_at", sa.DateTime),
        sa.column("extra", sa.JSON),
        sa.column("fraud_types", sa.JSON),
        sa.column("image_urls", sa.JSON),
        sa.column("version_count", sa.Integer),
        sa.column("needs_dedup", sa.Boolean),
        sa.column("needs_index", sa.Boolean),
    )
    when = datetime(2024, 1, 1)
    rows = [
        (1, 1, {"site": "xm", "publisher": "厦门日报"}),  # crawled, names a publisher
        (2, 1, {"site": "xm"}),  # crawled, names none
        (3, 2, {"path": "/tmp/a.md"}),  # imported
        (4, 1, {"site": "xm", "publisher": "厦门日报"}),
    ]
    with engine.begin() as c:
        # ids from the database (its sequence on PostgreSQL), as real rows get them
        sid_of = {
            1: c.execute(
                sa.insert(source)
                .values(key="xm", name="厦门网", kind="news")
                .returning(source.c.id)
            ).scalar_one(),
            2: c.execute(
                sa.insert(source).values(key="中国网", name="中国网").returning(source.c.id)
            ).scalar_one(),
        }
        for aid, sid, extra in rows:
            c.execute(
                sa.insert(article).values(
                    id=aid, url=f"u{aid}", source_id=sid_of[sid], title="t", text="x", norm_text="x",
                    content_hash=f"h{aid}", fetched_at=when, changed_at=when, extra=extra,
                    fraud_types=[], image_urls=[], version_count=1, needs_dedup=True,
                    needs_index=True,
                )
            )  # fmt: skip
    engine.dispose()
    archive = Archive.open(tmp_path / "home", url)  # migrates to head
    with archive.session() as s:
        got = {a.id: (a.site, a.source.key, a.source.name) for a in s.scalars(select(Article))}
    assert got[1] == ("xm", "厦门日报", "厦门日报")
    assert got[2] == ("xm", "xm", "厦门网")
    assert got[3] == (None, "中国网", "中国网")
    assert got[4] == got[1]
    archive.close()


def test_cli_search_site_option(crawled, cli):
    archive, ids = crawled
    update_index(archive)
    res = run(
        cli,
        "search",
        "骗",
        "--site",
        "xmnews",
        "--all-copies",
        "--json",
        "--home",
        str(archive.home),
    )
    data = json.loads(res.stdout)
    assert [h["id"] for h in data["hits"]] == [ids["news"]]
    assert data["facets"]["site"] == {"xmnews": 1}

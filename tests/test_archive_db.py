"""Opening the archive: migrations, SQLite pragmas, bad URLs and unwritable homes."""

from __future__ import annotations

import os
import stat

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from archive import Archive, DatabaseUnavailable, Document, HomeNotWritable, store_document
from archive.db import alembic_config
from archive.models import Article, Source
from archive.store import Outcome


def test_migrations_create_every_table(archive):
    tables = set(inspect(archive.engine).get_table_names())
    expected = {
        "source",
        "article",
        "version",
        "cluster",
        "member",
        "difference",
        "signature",
        "crawl_run",
        "crawl_error",
        "seen_url",
        "job_lock",
        "alembic_version",
    }
    assert expected <= tables

    head = ScriptDirectory.from_config(alembic_config(archive.engine)).get_current_head()
    with archive.engine.connect() as c:
        assert c.execute(text("SELECT version_num FROM alembic_version")).scalar() == head


def test_reopen_is_idempotent(home, db_url):
    Archive.open(home, db_url).close()
    Archive.open(home, db_url).close()


def test_sqlite_runs_in_wal_with_foreign_keys(sqlite_archive):
    with sqlite_archive.engine.connect() as c:
        assert c.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert c.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_store_new_unchanged_updated(archive):
    doc = Document(
        url="https://x.cn/a", title="标题", text="第一段。\n第二段。", source_name="某网"
    )
    with archive.session() as s:
        assert store_document(s, doc).outcome is Outcome.NEW
    with archive.session() as s:
        assert store_document(s, doc).outcome is Outcome.UNCHANGED
    doc.text = "第一段。\n改过的第二段。"
    with archive.session() as s:
        stored = store_document(s, doc)
        assert stored.outcome is Outcome.UPDATED and stored.article.version_count == 2
        assert len(stored.article.versions) == 1
    with archive.session() as s:
        assert s.query(Source).count() == 1


def test_datetimes_come_back_aware_in_utc(archive):
    from datetime import UTC, datetime

    from archive.extract.dates import CST

    doc = Document(url="u", title="t", text="x", published_at=datetime(2022, 5, 11, 8, tzinfo=CST))
    with archive.session() as s:
        store_document(s, doc)
    with archive.session() as s:
        art = s.query(Article).one()
        assert art.published_at == datetime(2022, 5, 11, 0, tzinfo=UTC)
        assert art.published_at.tzinfo is not None


def test_transaction_rolls_back_on_error(archive):
    with pytest.raises(RuntimeError), archive.session() as s:
        store_document(s, Document(url="u", title="t", text="x"))
        raise RuntimeError("boom")
    with archive.session() as s:
        assert s.query(Article).count() == 0


@pytest.mark.parametrize(
    "url", ["nonsense", "postgresql+psycopg://nobody@127.0.0.1:1/none", "sqlite:////proc/no/x.db"]
)
def test_bad_database_url(home, url):
    with pytest.raises(DatabaseUnavailable):
        Archive.open(home, url)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere: use a file as home instead")
def test_unwritable_home_non_root(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(stat.S_IRUSR | stat.S_IXUSR)
    with pytest.raises(HomeNotWritable):
        Archive.open(ro / "home")


def test_home_that_is_a_file(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(HomeNotWritable, match="not writable"):
        Archive.open(f / "home")

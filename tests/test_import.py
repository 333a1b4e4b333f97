"""``fanzha import``: the seeds, re-imports, versions and bad input, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
from datetime import datetime

import pytest
from sqlalchemy import func, select

from archive import Archive
from archive.extract.dates import CST
from archive.models import Article, Version

from .conftest import run


def _import(cli, home, db_url, *paths, extra=()):
    args = ["import", *map(str, paths), "--home", str(home), "--json", *extra]
    if db_url:
        args += ["--db", db_url]
    result = run(cli, *args)
    return result, json.loads(result.stdout)


def _articles(home, db_url):
    arc = Archive.open(home, db_url)
    with arc.session() as s:
        rows = {a.extra["path"].rsplit("/", 1)[-1][:3]: a for a in s.scalars(select(Article))}
        for a in rows.values():
            _ = a.source
    arc.close()
    return rows


def test_seeds_import_with_metadata(cli, home, db_url, seeds):
    result, out = _import(cli, home, db_url, *sorted(seeds.iterdir()))
    assert result.exit_code == 0, result.stderr
    assert len(out["imported"]) == 2 and out["errors"] == [] and out["skipped"] == []
    assert {"id", "url", "title"} <= set(out["imported"][0])

    arts = _articles(home, db_url)
    jekyll, chinacom = arts["000"], arts["001"]
    assert jekyll.title == "【案例】公安部提醒：80的电信诈骗都是这5种！"
    assert jekyll.published_at == datetime(2022, 5, 15, tzinfo=CST)
    assert jekyll.source.name == "吉林市昌邑公安分局反诈骗中心" and jekyll.source.kind == "wechat"
    assert len(jekyll.image_urls) == 15 and "{{" not in jekyll.text
    assert chinacom.published_at == datetime(2022, 5, 11, tzinfo=CST)
    assert chinacom.published_precision == "inferred-year"
    assert chinacom.source.name == "中国网" and chinacom.author == "张艳玲"
    assert "2019年11月8日，96110预警劝阻专线" in chinacom.text
    assert "2019年11月8日,96110预警劝阻专线" in chinacom.norm_text
    assert chinacom.text.endswith("中国发布")


def test_second_import_is_skipped(cli, home, db_url, seeds):
    _import(cli, home, db_url, seeds)
    result, out = _import(cli, home, db_url, seeds)
    assert result.exit_code == 0
    assert out["imported"] == [] and len(out["skipped"]) == 2
    assert all(s["reason"] for s in out["skipped"])


def test_changed_file_becomes_new_version(cli, home, db_url, seeds):
    path = seeds / "001_72b5590c4af24436.txt"
    _, first = _import(cli, home, db_url, path)
    path.write_text(
        path.read_text(encoding="utf-8").replace("16个省份", "16个地区"), encoding="utf-8"
    )
    result, second = _import(cli, home, db_url, path)
    assert result.exit_code == 0
    assert second["imported"][0]["id"] == first["imported"][0]["id"]
    arc = Archive.open(home, db_url)
    with arc.session() as s:
        art = s.scalar(select(Article))
        assert art.version_count == 2 and "16个地区" in art.text
        version = s.scalar(select(Version))
        assert "16个省份" in version.text
        assert any("16个省份" in c["a"] and "16个地区" in c["b"] for c in version.diff_to_next)
    arc.close()


def test_same_content_at_another_path_is_skipped(cli, home, db_url, seeds, tmp_path):
    copy = tmp_path / "copy.txt"
    copy.write_bytes((seeds / "000_48b3d1093c5a9dfd.txt").read_bytes())
    _import(cli, home, db_url, seeds)
    _, out = _import(cli, home, db_url, copy)
    assert out["imported"] == [] and out["skipped"][0]["reason"] == "already imported"


def test_url_and_source_options(cli, home, db_url, seeds):
    path = seeds / "001_72b5590c4af24436.txt"
    _, out = _import(
        cli,
        home,
        db_url,
        path,
        extra=["--url", "https://www.china.com.cn/a.html", "--source", "中国网"],
    )
    assert out["imported"][0]["url"] == "https://www.china.com.cn/a.html"


def test_html_file(cli, home, tmp_path):
    page = tmp_path / "a.html"
    body = "".join(
        f"<p>第{i}段：民警提醒，谨防刷单返利诈骗，不要轻信陌生人。</p>" for i in range(8)
    )
    page.write_text(
        f"<html><head><title>刷单诈骗提醒</title>"
        f'<meta name="pubdate" content="2023-03-01 09:00"></head>'
        f"<body><nav>首页 | 新闻</nav><div>{body}</div></body></html>",
        encoding="utf-8",
    )
    result, out = _import(cli, home, None, page)
    assert result.exit_code == 0 and out["imported"][0]["title"] == "刷单诈骗提醒"
    with Archive.open(home).session() as s:
        art = s.scalar(select(Article))
        assert art.published_at == datetime(2023, 3, 1, 9, 0, tzinfo=CST)
        assert "首页" not in art.text and art.text.count("\n") == 7


def test_gbk_text_file(cli, home, tmp_path):
    path = tmp_path / "gbk.txt"
    path.write_bytes(
        "---\ntitle: 冒充公检法诈骗\n---\n民警提醒：公检法机关不会通过电话办案。".encode("gbk")
    )
    result, out = _import(cli, home, None, path)
    assert result.exit_code == 0 and out["imported"][0]["title"] == "冒充公检法诈骗"


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty.txt", b"", "empty file"),
        ("blank.md", b"  \n\n", "empty file"),
        ("binary.txt", bytes(range(256)) * 4, "binary file"),
        ("latin.txt", "Ã©tÃ© caf\xe9 \xff\xfe\xfd".encode("latin-1") * 50, "invalid text"),
        ("broken.md", "---\ntitle: 未闭合\n正文".encode(), "broken front matter"),
        ("yaml.md", "---\ntitle: [坏\n---\n正文".encode(), "broken front matter"),
        ("nohtml.html", b"<html><body><script>x()</script></body></html>", "no article text"),
    ],
)
def test_bad_file_gives_one_line_error(cli, home, tmp_path, name, data, message):
    path = tmp_path / name
    path.write_bytes(data)
    result, out = _import(cli, home, None, path)
    assert result.exit_code == 2
    assert out["errors"] == [{"path": str(path), "error": out["errors"][0]["error"]}]
    assert message in out["errors"][0]["error"]
    assert "Traceback" not in result.stderr


def test_missing_file(cli, home, tmp_path):
    result, out = _import(cli, home, None, tmp_path / "nope.md")
    assert result.exit_code == 2 and out["errors"][0]["error"] == "no such file"


def test_bad_file_in_batch_does_not_stop_the_others(cli, home, seeds):
    (seeds / "zz_binary.txt").write_bytes(b"\x00\x01\x02" * 100)
    (seeds / "aa_empty.txt").write_bytes(b"")
    result, out = _import(cli, home, None, seeds)
    assert result.exit_code == 1
    assert len(out["imported"]) == 2 and len(out["errors"]) == 2
    with Archive.open(home).session() as s:
        assert s.scalar(select(func.count()).select_from(Article)) == 2


def test_directory_of_binaries(cli, home, tmp_path):
    folder = tmp_path / "bins"
    folder.mkdir()
    for i in range(3):
        (folder / f"{i}.bin").write_bytes(os.urandom(512) + b"\x00")
    result, out = _import(cli, home, None, folder)
    assert result.exit_code == 2 and len(out["errors"]) == 3
    assert all("binary" in e["error"] for e in out["errors"])


def test_failed_file_leaves_nothing_half_written(home, seeds):
    """A failure after the article row was written (the database refusing the
    bulletin's indicators, stored last) rolls the whole file back."""
    from archive.importers import batch
    from archive.models import Source

    arc = Archive.open(home)
    with arc.engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TRIGGER refuse_indicators BEFORE INSERT ON indicator "
            "BEGIN SELECT RAISE(ABORT, 'simulated failure after writing'); END"
        )
    report = batch.import_paths(arc, [seeds / "000_48b3d1093c5a9dfd.txt"])
    assert not report.imported and len(report.errors) == 1
    assert "simulated failure after writing" in report.errors[0]["error"]
    with arc.session() as s:
        assert s.scalar(select(func.count()).select_from(Article)) == 0
        assert s.scalar(select(func.count()).select_from(Source)) == 0


def test_gbk_html_with_meta_charset_only(cli, home, tmp_path):
    page = tmp_path / "police.htm"
    html = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
        "<title>警方提醒：谨防冒充公检法诈骗</title></head><body><h1>警方提醒：谨防冒充公检法诈骗</h1>"
        "<div class='time'>2023年06月01日 08:30</div><div id='content'>"
        + "".join(
            f"<p>第{i}条：公检法机关不会通过电话、微信办案，更不会要求转账到安全账户。</p>"
            for i in range(6)
        )
        + "</div></body></html>"
    )
    page.write_bytes(html.encode("gbk"))
    result, out = _import(cli, home, None, page)
    assert result.exit_code == 0, out
    assert out["imported"][0]["title"] == "警方提醒：谨防冒充公检法诈骗"
    with Archive.open(home).session() as s:
        art = s.scalar(select(Article))
        assert "安全账户" in art.text and "\ufffd" not in art.text
        assert art.published_at == datetime(2023, 6, 1, 8, 30, tzinfo=CST)

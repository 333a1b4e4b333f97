"""End-to-end crawls of the fixture sites served on 127.0.0.1, each crawl in its own
process (``python -m fanzha crawl``): what is stored, what is recorded as an error,
incremental re-crawls, --refresh, unreachable sites, SIGINT/SIGKILL and resume."""

from __future__ import annotations

import json
import signal
import socket
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from archive import Archive
from archive.importers.batch import import_paths
from archive.models import Article, CrawlRun, Version
from archive.warcstore import read_record, read_response
from tests.sites.build import generate_many
from tests.sites.harness import (
    MANY,
    REPO,
    copy_www,
    crawl,
    env,
    fanzha_args,
    fixture_server,
    write_sites,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A private copy of the fixture sites (tests edit it), served for this module."""
    root = copy_www(tmp_path_factory.mktemp("srv") / "www")
    generate_many(root, "/many/", 120, per_page=10)
    with fixture_server(root, MANY_DELAY="0.03") as base:
        yield root, base


@pytest.fixture(scope="module")
def first(site, tmp_path_factory):
    """One full crawl of the five fixture sites, shared by the tests that read it."""
    _, base = site
    tmp = tmp_path_factory.mktemp("first")
    sites = write_sites(tmp / "sites.toml", base)
    code, report, err = crawl(tmp / "home", sites)
    assert code == 0, err
    return tmp / "home", sites, report, base


def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def articles(home: Path) -> dict[str, tuple[str, str, str]]:
    with sqlite3.connect(home / "fanzha.db") as db:
        rows = db.execute(
            "select a.url, s.key, a.title, a.raw_ref from article a join source s on s.id = a.source_id"
        ).fetchall()
    return {url: (key, title, ref) for url, key, title, ref in rows}


def test_full_crawl_stores_the_bulletins_of_every_site(first):
    home, _, report, base = first
    assert report["status"] == "ok"
    assert set(report) >= {"run", "status", "pages", "new", "updated", "unchanged", "errors"}
    stored = articles(home)
    by_site: dict[str, list[str]] = {}
    for url, (key, _, _) in stored.items():
        by_site.setdefault(key, []).append(url)
    # portal: list pages paginated; the off-topic weather/marathon/library pages dropped
    assert f"{base}/portal/2024-03/15/content_1001.html" in stored
    assert f"{base}/portal/2024-03/16/content_1003.html" not in stored  # weather
    assert f"{base}/portal/2024-03/24/content_1006.html" not in stored  # marathon
    assert f"{base}/portal/2024-04/08/content_1008.html" in stored  # found on page 3
    # police (GBK, judged by content): its three articles, no tag/search/list page
    assert sorted(u.rsplit("/", 1)[1] for u in by_site["police"]) == [
        "gongjianfa.html",
        "lingdao.html",
        "shuadan.html",
    ]
    # blog through its Atom feed; WeChat pages; the sitemap-only site
    assert f"{base}/blog/2024/03/20/shuadan.html" in stored
    assert f"{base}/blog/2024/04/11/library.html" not in stored  # off-topic post
    assert len(by_site["wechat"]) == 2
    assert f"{base}/hidden/a/20240507/gouwu.html" in stored
    assert f"{base}/hidden/about.html" not in stored  # in the sitemap, not an article
    assert report["new"] == len(stored)


def test_gbk_page_stored_without_mojibake(first):
    home, _, _, _ = first
    arc = Archive.open(home)
    with arc.session() as s:
        art = (
            s.query(Article).filter(Article.url.like("%/police/news/2024/0315/shuadan.html")).one()
        )
        assert "刷单返利" in art.title
        assert "平安市公安局提醒您" in art.text and "\ufffd" not in art.text
        assert art.source.kind == "police"
        assert art.published_at is not None and art.published_at.year == 2024


def test_tracking_parameter_duplicate_is_stored_once(first):
    home, _, _, _ = first
    urls = [u for u in articles(home) if "content_1001" in u]
    # linked plain, with utm_* parameters, with a #fragment, and as a mobile copy whose
    # rel=canonical names the desktop page: one article
    assert len(urls) == 1 and "utm_" not in urls[0] and "#" not in urls[0]
    assert "/portal/m/" not in urls[0]
    with sqlite3.connect(home / "fanzha.db") as db:
        seen = dict(db.execute("select url, verdict from seen_url").fetchall())
    assert [v for u, v in seen.items() if "/portal/m/" in u] == ["article"]
    # a link that redirects to an article is remembered under the link, not fetched again
    assert seen[next(u for u in seen if u.endswith("content_9301.html"))] == "article"
    assert len([u for u in articles(home) if "content_1002" in u]) == 1


def test_robots_disallowed_page_is_never_fetched(first):
    home, _, report, _ = first
    assert not [u for u in articles(home) if "/private/" in u]
    assert report["sites"]["portal"]["robots_blocked"] == 1
    assert not [e for e in report["error_list"] if "/private/" in (e["url"] or "")]


def test_every_bad_page_is_recorded_and_the_crawl_goes_on(first):
    _, _, report, _ = first
    errors = {e["url"].rsplit("/", 1)[1]: e for e in report["error_list"] if "/portal/" in e["url"]}
    assert errors["content_9404.html"]["status"] == 404
    assert errors["content_9500.html"]["status"] == 500
    assert "timeout" in errors["content_9408.html"]["error"]
    assert "redirect" in errors["content_9302.html"]["error"]
    assert "malformed" in errors["content_9001.html"]["error"]
    assert "empty" in errors["content_9000.html"]["error"]
    assert "not HTML (application/pdf)" in errors["content_9003.html"]["error"]
    assert "DOWNLOAD_MAXSIZE" in errors["content_9999.html"]["error"]
    assert report["errors"] == len(report["error_list"])


def test_run_is_recorded_with_per_site_figures(first):
    home, _, report, _ = first
    arc = Archive.open(home)
    with arc.session() as s:
        run = s.get(CrawlRun, report["run"])
        assert run.status == "ok" and run.finished_at is not None
        assert run.new == report["new"] and run.error_count == report["errors"]
        fig = run.figures["sites"]["portal"]
        assert {"pages", "new", "updated", "unchanged", "errors", "seconds"} <= set(fig)
        assert fig["pages"] > 10 and len(run.errors) == report["errors"]


def test_raw_response_is_kept_in_warc(first):
    home, _, _, base = first
    _, _, ref = articles(home)[f"{base}/police/news/2024/0315/shuadan.html"]
    assert ref.startswith("warc:")
    body = read_record(home / "warc", ref)
    assert "刷单返利".encode("gbk") in body  # the bytes as they came: GBK
    rec = read_response(home / "warc", ref)
    assert rec.status == 200 and rec.url.endswith("shuadan.html")


def test_second_crawl_downloads_no_archived_article_again(first, tmp_path):
    home, sites, report1, _ = first
    code, report, err = crawl(home, sites)
    assert code == 0, err
    assert report["new"] == 0 and report["updated"] == 0
    assert report["pages"] < report1["pages"] / 2
    assert sum(s["skipped_known"] for s in report["sites"].values()) >= report1["new"]


def test_refresh_makes_a_changed_article_a_new_version(site, tmp_path):
    root, base = site
    sites = write_sites(tmp_path / "sites.toml", base)
    home = tmp_path / "home"
    code, _, err = crawl(home, sites, "wechat")
    assert code == 0, err
    page = root / "wechat/s/Xy7kP2qA.html"
    original = page.read_text(encoding="utf-8")
    try:
        page.write_text(original.replace("3.2万元", "3.5万元"), encoding="utf-8")
        code, plain, _ = crawl(home, sites, "wechat")
        assert plain["updated"] == 0  # without --refresh the archived URL is not fetched
        code, report, err = crawl(home, sites, "wechat", "--refresh")
        assert code == 0, err
        assert report["updated"] == 1 and report["unchanged"] == 1
    finally:
        page.write_text(original, encoding="utf-8")
    arc = Archive.open(home)
    with arc.session() as s:
        art = s.query(Article).filter(Article.url.like("%Xy7kP2qA.html")).one()
        assert "3.5万元" in art.text and art.version_count == 2
        assert "3.2万元" in s.query(Version).filter_by(article_id=art.id).one().text


def test_unreachable_site_makes_the_run_partial(site, tmp_path):
    _, base = site
    extra = f"""
[[site]]
key = "down"
name = "总是出错"
start_urls = ["{base}/down/index.html"]

[[site]]
key = "refused"
name = "拒绝连接"
start_urls = ["http://127.0.0.1:{closed_port()}/"]
"""
    sites = write_sites(tmp_path / "sites.toml", base, extra)
    code, report, _ = crawl(tmp_path / "h1", sites)
    assert code == 1 and report["status"] == "failed"
    reasons = " ".join(e["error"] for e in report["error_list"])
    assert "HTTP 500" in reasons and "connection refused" in reasons
    both = write_sites(tmp_path / "both.toml", base, extra + WECHAT_ONLY.format(base=base))
    code, report, _ = crawl(tmp_path / "h2", both)
    assert code == 1 and report["status"] == "partial" and report["new"] == 2


WECHAT_ONLY = """
[[site]]
key = "wechat"
name = "平安反诈"
start_urls = ["{base}/wechat/index.html"]
article_pattern = '/wechat/s/'
relevance = "all"
"""


def _count(home: Path) -> int:
    try:
        with sqlite3.connect(home / "fanzha.db", timeout=5) as db:
            return db.execute("select count(*) from article").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_interrupted_crawl_resumes_without_loss_or_duplicates(site, tmp_path, sig):
    _, base = site
    sites = write_sites(tmp_path / "many.toml", base, MANY)
    home = tmp_path / "home"
    proc = subprocess.Popen(
        fanzha_args("crawl", "--sites", sites, "--home", home, "--json"),
        cwd=REPO,
        env=env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while _count(home) < 20 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
    assert proc.poll() is None, "the crawl finished before it could be interrupted"
    proc.send_signal(sig)
    out, _ = proc.communicate(timeout=60)
    before = _count(home)
    assert 20 <= before < 120
    if sig == signal.SIGINT:  # a graceful stop: pending batch flushed, run recorded
        report = json.loads(out)
        assert report["status"] == "partial" and report["new"] == before
    code, report, err = crawl(home, sites)
    assert code == 0, err
    assert _count(home) == 120 and report["new"] == 120 - before
    with sqlite3.connect(home / "fanzha.db") as db:
        statuses = [r[0] for r in db.execute("select status from crawl_run order by id")]
    assert statuses[0] == ("killed" if sig == signal.SIGKILL else "partial")


def test_scrapy_crawl_command_runs_one_site(site, tmp_path):
    _, base = site
    sites = write_sites(tmp_path / "sites.toml", base)
    home = tmp_path / "home"
    proc = subprocess.run(
        [str(Path(REPO) / ".venv/bin/scrapy"), "crawl", "site", "-a", "site=wechat",
         "-s", f"FANZHA_HOME={home}", "-s", f"FANZHA_SITES_FILE={sites}", "-s", "LOG_LEVEL=WARNING"],
        cwd=REPO, env=env(), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert len(articles(home)) == 2
    with sqlite3.connect(home / "fanzha.db") as db:
        assert db.execute("select status, new from crawl_run").fetchall() == [("ok", 2)]


def test_import_warc_re_extracts_the_crawled_articles(first, tmp_path):
    home, _, _, _ = first
    arc = Archive.open(home)
    warc = sorted((home / "warc").glob("*.warc.gz"))[0]
    report = import_paths(arc, [warc])
    assert not report.errors
    # same extractor, same pages: every archived article comes back unchanged
    unchanged = [r for r in report.skipped if r.get("reason") == "same content already archived"]
    assert {r["url"] for r in unchanged} == set(articles(home))  # (the mobile copy too)
    # into a fresh archive: the articles are new, their raw copies in the raw store
    fresh = Archive.open(tmp_path / "fresh")
    report = import_paths(fresh, [warc])
    assert report.imported and not report.errors
    with fresh.session() as s:
        refs = [a.raw_ref for a in s.query(Article)]
    assert refs and all(r.startswith("raw:") for r in refs)


@pytest.mark.postgres
def test_crawl_into_postgresql(site, tmp_path, pg_url):
    _, base = site
    sites = write_sites(tmp_path / "sites.toml", base, WECHAT_ONLY.format(base=base))
    code, report, err = crawl(tmp_path / "home", sites, "--db", pg_url)
    assert code == 0, err
    assert report["new"] == 2 and report["status"] == "ok"
    arc = Archive.open(tmp_path / "home", pg_url)
    with arc.session() as s:
        assert s.query(Article).count() == 2
        assert s.get(CrawlRun, report["run"]).figures["sites"]["wechat"]["new"] == 2
    arc.close()


def test_human_output_summarises_the_run(site, tmp_path):
    _, base = site
    sites = write_sites(tmp_path / "sites.toml", base, WECHAT_ONLY.format(base=base))
    proc = subprocess.run(
        fanzha_args("crawl", "--sites", sites, "--home", tmp_path / "home"),
        capture_output=True, text=True, cwd=REPO, env=env(), timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "run 1: ok" in proc.stdout and "2 new" in proc.stdout
    assert "wechat" in proc.stdout and "crawl-1.log" in proc.stdout

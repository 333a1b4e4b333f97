"""``fanzha try SITE URL`` and ``enabled = false``, against the fixture sites on 127.0.0.1."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from crawler.profiles import read_profiles_file
from fanzha.cli.crawling import choose_profiles
from fanzha.jobs.nightly import configured_profiles
from tests.sites.harness import WWW, crawl, env, fanzha_args, fixture_server, write_sites

from .conftest import run

SITES = """
[[site]]
key = "portal"
name = "平安新闻网"
start_urls = ["{base}/portal/index.html"]
article_pattern = '/portal/.*/content_\\d+\\.html$'
follow_pattern = '/portal/index(_\\d+)?\\.html$'

[[site]]
key = "police"
name = "平安市公安局"
kind = "police"
start_urls = ["{base}/police/index.html"]
relevance = "all"
enabled = false
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The fixture sites served on 127.0.0.1 and a sites file naming two of them."""
    tmp = tmp_path_factory.mktemp("try")
    with fixture_server(WWW) as base:
        yield base, write_sites(tmp / "sites.toml", base, SITES)


def try_json(tmp_path: Path, sites: Path, site: str, url: str) -> tuple[int, dict, str]:
    """``fanzha try --json`` in a subprocess whose working folder and FANZHA_HOME are
    fresh: anything it stored would show up there."""
    proc = subprocess.run(
        fanzha_args("try", site, url, "--sites", sites, "--json"),
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env(FANZHA_HOME=str(tmp_path / "home")),
        timeout=60,
    )
    out = json.loads(proc.stdout) if proc.stdout.strip() else {}
    return proc.returncode, out, proc.stderr


def test_try_an_article_page_stores_nothing(served, tmp_path):
    base, sites = served
    code, got, err = try_json(
        tmp_path, sites, "portal", f"{base}/portal/2024-03/15/content_1001.html"
    )
    assert code == 0, err
    assert (got["route"], got["verdict"], got["would_store"]) == ("article", "article", True)
    assert got["title"] == "警惕“刷单返利”诈骗新套路：先给甜头再让你越陷越深"
    assert got["published"] == "2024-03-15T09:30:00+08:00"
    assert got["publisher"] == "市公安局刑侦支队" and got["author"] == "王警官"
    assert got["text_head"].startswith("近日，市公安局反诈中心") and got["text_chars"] > 150
    assert "刷单返利" in got["relevance"]["fraud_types"]
    assert got["follows"] == [] and "patterned" in got["follows_note"]
    assert not (tmp_path / "home").exists() and list(tmp_path.iterdir()) == []


def test_try_a_list_page_shows_the_links_it_would_follow(served, tmp_path):
    base, sites = served
    code, got, err = try_json(tmp_path, sites, "portal", f"{base}/portal/index.html")
    assert code == 0, err
    assert (got["route"], got["verdict"], got["would_store"]) == ("list", "list", False)
    follows = {link["url"]: link["as"] for link in got["follows"]}
    assert follows[f"{base}/portal/2024-03/15/content_1001.html"] == "article"
    assert follows[f"{base}/portal/index_2.html"] == "list"
    assert all(url.startswith(base) for url in follows)  # off-site links are not followed
    assert list(tmp_path.iterdir()) == []


def test_try_a_site_without_patterns_judges_by_content(served, tmp_path):
    base, sites = served
    url = f"{base}/police/news/2024/0315/shuadan.html"
    code, got, err = try_json(tmp_path, sites, "police", url)
    assert code == 0, err
    assert (got["route"], got["verdict"], got["would_store"]) == ("auto", "article", True)
    assert got["published"] and got["published"].startswith("2024-03-15")


def test_try_human_output_and_bad_input(served, cli, tmp_path, monkeypatch):
    base, sites = served
    monkeypatch.chdir(tmp_path)
    url = f"{base}/portal/2024-03/15/content_1001.html"
    result = run(cli, "try", "portal", url, "--sites", sites)
    assert result.exit_code == 0, result.stderr
    assert "verdict: article" in result.stdout and "2024-03-15T09:30:00+08:00" in result.stdout
    for args, message in (
        (["nosuch", url], "unknown site 'nosuch'"),
        (["portal", "ftp://x.example/a"], "only http and https"),
        (["portal", "http://127.0.0.1:9/closed.html"], "cannot fetch"),
    ):
        result = run(cli, "try", *args, "--sites", sites)
        assert result.exit_code == 2 and message in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []  # no archive, no data folder


def test_disabled_site_is_left_out_of_every_site_runs(served):
    _, sites = served
    from_file = read_profiles_file(sites)
    assert {p.key: p.enabled for p in from_file} == {"portal": True, "police": False}
    assert "police" not in [p.key for p in configured_profiles(sites)]  # the nightly
    assert "police" not in [p.key for p in choose_profiles(None, sites, True)]  # --all
    assert [p.key for p in choose_profiles(None, sites, False)] == ["portal"]  # --sites FILE
    assert [p.key for p in choose_profiles(["police"], sites, False)] == ["police"]  # by name


@pytest.mark.slow
def test_disabled_site_is_crawled_only_by_name(served, tmp_path):
    _, sites = served
    code, report, err = crawl(tmp_path / "home", sites)
    assert code == 0, err
    assert set(report["sites"]) == {"portal"} and report["new"] > 0
    code, report, err = crawl(tmp_path / "home", sites, "police")
    assert code == 0, err
    assert set(report["sites"]) == {"police"} and report["new"] > 0


def test_enabled_must_be_a_boolean(tmp_path):
    from crawler.errors import ProfileError

    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[[site]]\nkey = "x"\nname = "X"\nstart_urls = ["http://x.example/"]\nenabled = "no"\n',
        encoding="utf-8",
    )
    with pytest.raises(ProfileError, match="enabled must be true or false"):
        read_profiles_file(bad)

"""Site profiles: the built-ins parse and build start requests (smoke test over every
spider profile), user files add or replace by key, and bad files fail with messages
that name the file, the site and the key."""

from __future__ import annotations

import json

import pytest
from scrapy import Request

from crawler.errors import ProfileError, UnknownSite
from crawler.profiles import builtin_profiles, load_profiles, parse_profiles, select_profiles
from crawler.spiders.site import SiteSpider

from .conftest import run

BUILTIN_KEYS = {"chinacom", "mps", "cpd", "people_legal", "wechat_fzzx"}


def test_builtin_profiles_cover_the_real_sites():
    profiles = builtin_profiles()
    assert {p.key for p in profiles} == BUILTIN_KEYS
    kinds = {p.key: p.kind for p in profiles}
    assert kinds["mps"] == "police" and kinds["wechat_fzzx"] == "wechat"


@pytest.mark.parametrize("profile", builtin_profiles(), ids=lambda p: p.key)
def test_every_builtin_profile_builds_its_spider_and_start_requests(profile):
    spider = SiteSpider(profile=profile)
    requests = spider.start_requests_list()
    assert requests and all(isinstance(r, Request) for r in requests)
    assert all(spider.in_domain(r.url) for r in requests)
    assert spider.allowed_domains == profile.domains
    assert all(r.meta["hint"] == "list" and r.errback == spider.on_error for r in requests)


@pytest.mark.parametrize(
    ("key", "url", "hint"),
    [
        ("chinacom", "http://news.china.com.cn/2022-05/11/content_78212345.htm", "article"),
        ("chinacom", "http://news.china.com.cn/node_7250523.htm", "list"),
        ("mps", "https://www.mps.gov.cn/n2254098/n4904352/c8512345/content.html", "article"),
        ("mps", "https://www.mps.gov.cn/n2254098/n4904352/index_7574611_2.html", "list"),
        ("cpd", "http://news.cpd.com.cn/n18151/c12345678/content.html", "article"),
        ("people_legal", "http://legal.people.com.cn/n1/2022/0511/c42510-32419523.html", "article"),
        ("people_legal", "http://legal.people.com.cn/GB/42735/index2.html", "list"),
        ("wechat_fzzx", "https://mp.weixin.qq.com/s/AbCdEf0123", "article"),
    ],
)
def test_builtin_patterns_route_real_url_shapes(key, url, hint):
    spider = SiteSpider(profile=select_profiles(builtin_profiles(), [key])[0])
    assert spider.hint_for(url) == hint


MINIMAL = """
[[site]]
key = "mine"
name = "我的站点"
start_urls = ["https://example.org/list.html"]
"""


def test_minimal_profile_gets_defaults(tmp_path):
    (prof,) = parse_profiles(MINIMAL, "x.toml")
    assert prof.relevance == "keywords" and prof.max_pages == 500 and prof.kind == "news"
    assert prof.domains == ["example.org"] and prof.selectors == {}
    spider = SiteSpider(profile=prof)
    assert spider.hint_for("https://example.org/a/b.html") == "auto"  # judged by content


def test_sites_file_adds_and_replaces_by_key(tmp_path):
    path = tmp_path / "sites.toml"
    path.write_text(
        MINIMAL
        + '\n[[site]]\nkey = "mps"\nname = "公安部（自定义）"\nstart_urls = ["https://www.mps.gov.cn/"]\n',
        encoding="utf-8",
    )
    profiles = {p.key: p for p in load_profiles(path)}
    assert set(profiles) == BUILTIN_KEYS | {"mine"}
    assert profiles["mps"].name == "公安部（自定义）" and profiles["mps"].origin == str(path)
    assert profiles["chinacom"].origin.startswith("built-in")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[site]]\nkey = "a"\nname = "A"\n', "site 'a': missing required key 'start_urls'"),
        (
            MINIMAL + 'artcle_pattern = "x"\n',
            "unknown key 'artcle_pattern' (did you mean 'article_pattern'?)",
        ),
        (
            MINIMAL + 'article_pattern = "(unclosed"\n',
            "article_pattern '(unclosed' is not a valid regular expression",
        ),
        (MINIMAL + 'relevance = "some"\n', "relevance 'some' must be 'keywords' or 'all'"),
        (MINIMAL + 'kind = "tv"\n', "kind 'tv' must be one of police, news, wechat, blog"),
        (MINIMAL + "max_pages = 0\n", "max_pages must be a positive integer"),
        (MINIMAL + 'encoding = "klingon"\n', "encoding 'klingon' is not a known character set"),
        (
            MINIMAL + '[site.selectors]\ntitel = "h1"\n',
            "unknown selector 'titel' (did you mean 'title'?)",
        ),
        (
            MINIMAL + 'allowed_domains = ["https://example.org/"]\n',
            "allowed_domains wants host names",
        ),
        (
            MINIMAL.replace("https://example.org/list.html", "ftp://x"),
            "start_urls: 'ftp://x' is not an http(s) URL",
        ),
        (MINIMAL.replace('"mine"', '"Mein Site"'), "key 'Mein Site' must be lowercase ascii"),
        (MINIMAL + MINIMAL, "site 'mine' is defined twice"),
        ("[[site]\nkey=", "not valid TOML"),
        ('title = "x"\n', "unknown top-level key 'title'"),
    ],
)
def test_bad_profiles_name_the_file_site_and_key(text, message):
    with pytest.raises(ProfileError) as exc:
        parse_profiles(text, "my-sites.toml")
    assert str(exc.value).startswith("my-sites.toml: ")
    assert message in str(exc.value)


def test_unknown_site_key_suggests_the_close_one():
    with pytest.raises(
        UnknownSite, match="unknown site 'chinacon' \\(did you mean 'chinacom'\\?\\)"
    ):
        select_profiles(builtin_profiles(), ["chinacon"])


def test_cli_sites_lists_builtins_and_file(cli, tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(MINIMAL, encoding="utf-8")
    result = run(cli, "sites", "--sites", path, "--json", "--home", tmp_path / "h")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert {p["key"] for p in data} == BUILTIN_KEYS | {"mine"}
    human = run(cli, "sites", "--home", tmp_path / "h")
    assert human.exit_code == 0 and "chinacom" in human.stdout


def test_cli_bad_sites_file_is_one_line_exit_2(cli, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(MINIMAL + "max_pages = -3\n", encoding="utf-8")
    for cmd in ("sites", "crawl"):
        result = run(cli, cmd, "--sites", path, "--home", tmp_path / "h")
        assert result.exit_code == 2
        assert result.stderr.startswith(f"fanzha: error: {path}: site 'mine': max_pages")
        assert len(result.stderr.strip().splitlines()) == 1
    missing = run(cli, "sites", "--sites", tmp_path / "nope.toml")
    assert missing.exit_code == 2 and "no such sites file" in missing.stderr


def test_cli_crawl_needs_sites_or_all(cli, tmp_path):
    result = run(cli, "crawl", "--home", tmp_path / "h")
    assert result.exit_code == 2 and "name the sites to crawl" in result.stderr
    result = run(cli, "crawl", "nosuchsite", "--home", tmp_path / "h")
    assert result.exit_code == 2 and "unknown site 'nosuchsite'" in result.stderr

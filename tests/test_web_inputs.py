"""Hostile and odd input to the web app, the API and the CLI: never a 500 or a traceback.

Ids beyond what an id column holds, far dates, NUL characters and lone surrogates,
oversized bodies, forged Host headers, a taken port, bidi controls in titles, raw
references pointing out of the raw store. Each gets a 400, 404 or 413 with one line
(exit 2 on the CLI). Where the database matters (PostgreSQL refuses NUL and ids past
2^31), on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from archive import Archive
from archive.models import Article
from archive.rawstore import RawStore
from fanzha.config import Settings
from fanzha.web import create_app
from fanzha.web.inputs import MAX_BODY

from .conftest import run
from .webutil import REPOST, client, ids, site

FIXTURES = (site, client, ids)  # module-scoped fixtures over one test archive, from webutil
ID_ROUTES = [
    "/api/articles/{}",
    "/api/clusters/{}",
    "/api/runs/{}",
    "/articles/{}",
    "/raw/{}",
    "/clusters/{}",
    "/runs/{}",
]
BIDI_TITLE = "冒充客服\u202e骗局\u2066提醒\u2069揭秘"


def json_error(resp, status: int) -> str:
    assert resp.status_code == status, resp.text[:300]
    assert resp.headers["content-type"].startswith("application/json")
    message = resp.json()["error"]
    assert message.strip() and "\n" not in message
    return message


def page_error(resp, status: int) -> str:
    assert resp.status_code == status, resp.text[:300]
    assert resp.headers["content-type"].startswith("text/html")
    return resp.text


def error_of(resp, status: int) -> str:
    """The one-line message of an API error, or the text of an HTML error page."""
    if resp.headers.get("content-type", "").startswith("application/json"):
        return json_error(resp, status)
    return page_error(resp, status)


@pytest.fixture
def web(archive):
    """A client over an empty archive, on SQLite and on PostgreSQL."""
    url = None if archive.is_sqlite else archive.engine.url.render_as_string(hide_password=False)
    archive.close()
    with TestClient(create_app(Settings(home=archive.home, db_url=url))) as c:
        yield c


# ---- 9: 500s on ids, dates, NUL and surrogates --------------------------------------


def test_ids_beyond_an_id_column_are_400_on_both_databases(web):
    for route in ID_ROUTES:
        for number in (2**31, 2**63, 10**20):
            message = error_of(web.get(route.format(number)), 400)
            assert "2147483647" in message, route
        assert "greater than or equal to 1" in error_of(web.get(route.format(0)), 400)
        error_of(web.get(route.format(2**31 - 1)), 404)  # in range, just not there


def test_diff_of_an_id_beyond_the_column_is_404(web):
    assert "no article with id" in json_error(web.get(f"/api/diff?a={10**20}&b=1"), 404)
    error_of(web.get(f"/diff?a={2**63}&b=1"), 404)


@pytest.mark.parametrize("ref", ["1_2", "+1", "%D9%A1", "%201", "1.0", "0x1"])
def test_ids_are_strict_digits(client, ids, ref):
    """``int()`` reads 1_2 as 12 and ١ as 1: a path id takes ASCII digits only."""
    assert "digits 0-9" in json_error(client.get(f"/api/articles/{ref}"), 400) or ref in (
        "1.0",
        "0x1",
    )
    error_of(client.get(f"/raw/{ref}"), 400)
    error_of(client.get(f"/articles/{ref}"), 400)


def test_page_numbers_are_strict_digits(client):
    assert "whole number" in page_error(client.get("/clusters?page=1_0"), 400)
    assert "whole number" in page_error(client.get("/runs?page=%D9%A1"), 400)


@pytest.mark.parametrize(
    "path",
    [
        "/api/search?q=x&until=9999-12-31",
        "/api/search?q=x&since=0001-01-01",
        "/?q=x&until=9999-12-31",
        "/?until=9999-12-31",
        "/?since=0001-01-01",
    ],
)
def test_far_dates_are_400_on_both_databases(web, path):
    assert "out of range" in error_of(web.get(path), 400)


@pytest.mark.parametrize(
    "path",
    [
        "/api/search?q=x&source=a%00b",
        "/api/search?q=x&type=%00",
        "/api/diff?a=1%00&b=2",
        "/api/diff?a=https://example.org/a%00&b=2",
        "/?source=a%00b",
        "/?q=%00",
        "/diff?a=x%00&b=y",
    ],
)
def test_nul_in_parameters_is_400_on_both_databases(web, path):
    """PostgreSQL refuses NUL in text: it must not get that far."""
    assert "NUL character" in error_of(web.get(path), 400)


def test_unusable_posted_text_is_400_on_both_databases(web):
    text = (
        "近期冒充客服诈骗案件高发，请勿相信任何索要验证码的来电，接到此类电话请拨打96110核实。" * 3
    )
    surrogate = json.dumps({"text": text[:20] + "\ud800" + text[20:]})  # \ud800 escaped
    got = web.post("/api/check", content=surrogate, headers={"content-type": "application/json"})
    assert "lone surrogate" in json_error(got, 400)
    nul = {"text": text, "url": "https://example.org/a\x00"}
    assert "url contains a NUL" in json_error(web.post("/api/check", json=nul), 400)
    assert "NUL" in json_error(web.post("/api/check", json={"text": text + "\x00"}), 400)
    assert "NUL character" in page_error(web.post("/check", data=nul), 400)


def test_cli_far_dates_and_huge_ids_exit_2_in_one_line(site, cli):
    home = site[2]
    for args in (
        ["search", "反诈", "--until", "9999-12-31"],
        ["search", "反诈", "--since", "0001-01-01"],
        ["dups", "99999999999999999999"],
        ["dups", "--limit", "99999999999999999999"],
        ["dups", "--offset", "99999999999999999999"],
        ["runs", "99999999999999999999"],
        ["runs", "--limit", "99999999999999999999"],
        ["diff", "99999999999999999999", "1"],
    ):
        result = run(cli, *args, "--home", home)
        assert result.exit_code == 2, (args, result.stdout, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("fanzha: error: "), (args, lines)
        assert "Traceback" not in result.stderr


# ---- 11: body size, Host header, serve's port, bidi, raw references -----------------


def test_a_body_over_the_limit_is_413(client):
    big = json.dumps({"text": "诈" * (MAX_BODY // 3 + 10)}).encode()  # \u-escaped: 6 bytes each
    assert len(big) > MAX_BODY
    headers = {"content-type": "application/json"}
    message = json_error(client.post("/api/check", content=big, headers=headers), 413)
    assert "at most 4 MB" in message

    def chunks():  # no Content-Length: counted as it arrives
        for start in range(0, len(big), 65536):
            yield big[start : start + 65536]

    json_error(client.post("/api/check", content=chunks(), headers=headers), 413)
    form = b"text=" + b"a" * MAX_BODY
    page = page_error(
        client.post(
            "/check", content=form, headers={"content-type": "application/x-www-form-urlencoded"}
        ),
        413,
    )
    assert "at most 4 MB" in page


def test_a_body_under_the_limit_is_read(client, ids):
    text = REPOST + "\n" + "今天天气很好。" * 100_000  # 2.1 MB of UTF-8
    got = client.post("/api/check", json={"text": text})
    assert got.status_code == 200, got.text[:200]


def test_trailing_slash_redirects_are_relative(client, ids):
    a = ids["story_a.md"]
    forged = {"host": "evil.example"}
    got = client.get(f"/api/articles/{a}/", headers=forged, follow_redirects=False)
    assert got.status_code == 307 and got.headers["location"] == f"/api/articles/{a}"
    got = client.get("/stats/?x=1", headers=forged, follow_redirects=False)
    assert got.status_code == 307 and got.headers["location"] == "/stats?x=1"
    for path in ("//evil.example/", "/nothing-here/", "/%5Cevil.example/", "/\\evil.example/"):
        # a full URL: httpx would read "//evil.example/" alone as a host
        got = client.get(f"http://testserver{path}", headers=forged, follow_redirects=False)
        assert got.status_code == 404 and "location" not in got.headers, path


def test_serve_on_a_taken_port_exits_2_in_one_line(site, cli):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run(cli, "serve", "--port", str(port), "--workers", "1", "--home", site[2])
    assert result.exit_code == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and f"cannot listen on 127.0.0.1:{port}" in lines[0]


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """(client, home, {file name: id}): a bidi title and an imported page, in a deep home."""
    from typer.testing import CliRunner

    work = tmp_path_factory.mktemp("inputs")
    docs = work / "docs"
    docs.mkdir()
    front = {"title": BIDI_TITLE, "date": "2023-05-04", "source": "平安北京"}
    (docs / "bidi.md").write_text(
        f"---\n{json.dumps(front, ensure_ascii=False)}\n---\n\n"
        "近期冒充客服诈骗案件高发，请勿相信任何索要验证码的来电。\n",
        encoding="utf-8",
    )
    (docs / "page.html").write_text(
        "<html><head><title>刷单返利骗局</title></head><body><div><p>"
        + "刷单返利诈骗的套路：先以小额返利取得信任，再诱导受害人大额投入。" * 3
        + "</p></div></body></html>",
        encoding="utf-8",
    )
    home = work / "a" / "b" / "c" / "home"
    result = run(CliRunner(), "import", docs, "--home", home, "--json")
    assert result.exit_code == 0, result.stdout + result.stderr
    arc = Archive.open(home)
    with arc.session() as s:
        found = {Path(a.extra.get("path", "")).name: a.id for a in s.scalars(select(Article))}
    arc.close()
    with TestClient(create_app(Settings(home=home))) as c:
        yield c, home, found


def test_bidi_controls_are_taken_out_of_pages(small):
    c, _, found = small
    page = c.get(f"/articles/{found['bidi.md']}").text
    assert "冒充客服骗局提醒揭秘" in page
    assert not re.search("[\u202a-\u202e\u2066-\u2069]", page)
    listing = c.get("/").text
    assert "冒充客服骗局提醒揭秘" in listing and "\u202e" not in listing
    # The API gives the data as archived (documented): clients render it themselves.
    assert c.get(f"/api/articles/{found['bidi.md']}").json()["title"] == BIDI_TITLE


def set_raw_ref(home: Path, article_id: int, ref: str) -> None:
    arc = Archive.open(home)
    with arc.session() as s:
        s.get(Article, article_id).raw_ref = ref
    arc.close()


def test_raw_references_outside_the_raw_store_are_refused(small):
    c, home, found = small
    aid = found["page.html"]
    original = c.get(f"/raw/{aid}")
    assert original.status_code == 200 and "刷单返利骗局".encode() in original.content
    arc = Archive.open(home)
    with arc.session() as s:
        good = s.get(Article, aid).raw_ref
    raw_dir = arc.raw_dir
    arc.close()
    secret = home.parent.parent / "secret.txt"  # still inside this module's temporary folder
    secret.write_bytes(b"TOP SECRET")
    digest = "../../secret.txt"  # raw/<first two>/<ref>: raw/../../../secret.txt
    assert RawStore(raw_dir).path_for(digest).resolve() == secret.resolve()
    link_dir = raw_dir / "zz"
    link_dir.mkdir(parents=True, exist_ok=True)
    (link_dir / ("zz" + "0" * 62)).symlink_to(secret)
    warc_dir = home / "warc"
    warc_dir.mkdir(exist_ok=True)
    (warc_dir / "out.warc.gz").symlink_to(secret)
    try:
        for ref in (f"raw:{digest}", "raw:zz" + "0" * 62, "warc:out.warc.gz#0"):
            set_raw_ref(home, aid, ref)
            got = c.get(f"/raw/{aid}")
            assert "outside the raw store" in page_error(got, 404), ref
            assert b"TOP SECRET" not in got.content
    finally:
        set_raw_ref(home, aid, good)

"""The web check under abuse: slow servers, cross-site posts, texts that match a lot.

Real parts: a slow-header socket server and the app under a real uvicorn on 127.0.0.1,
an archive built by ``fanzha import`` with Dedup and the search index run over it.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from archive import Archive
from archive.dedup import run_dedup
from fanzha.checking.check import MAX_CHANGE_CHARS, MAX_CHANGES, MAX_MATCHES, bounded
from fanzha.config import Settings
from fanzha.web import create_app
from fanzha.web.sidebyside import side_by_side
from fanzha.web.viewcap import SEG_CHARS, VIEW_CHARS, capped
from search import update_index

from .check_servers import slow_header_server
from .conftest import run
from .test_check_fetch import wait_for
from .webutil import REPOST, STORY, uvicorn_server


def test_other_routes_answer_while_slow_urls_are_checked(tmp_path):
    settings = Settings(
        home=tmp_path / "home", allow_private_fetch=True, fetch_timeout=60, max_fetches=2
    )
    statuses: list[int] = []
    with uvicorn_server(create_app(settings)) as base, slow_header_server() as slow:

        def check() -> None:
            resp = httpx.post(f"{base}/api/check", json={"url": f"{slow.url}/x"}, timeout=90)
            statuses.append(resp.status_code)

        # more checks than the server has worker threads (40)
        checks = [threading.Thread(target=check, daemon=True) for _ in range(45)]
        for t in checks:
            t.start()
        wait_for(lambda: slow.open_connections == 2 and len(statuses) == 43, 30)
        assert statuses == [503] * 43  # refused at once, not queued behind the slow ones
        busy = httpx.post(f"{base}/api/check", json={"url": f"{slow.url}/y"}, timeout=10)
        assert busy.status_code == 503
        assert busy.json()["error"] == (
            "2 URL checks are running already; try again in a few seconds"
        )
        stats = httpx.get(f"{base}/api/stats", timeout=10)
        assert stats.status_code == 200
        page = httpx.get(f"{base}/check", timeout=10)
        assert page.status_code == 200
        assert slow.open_connections == 2  # answered while the two fetches still hang
        assert slow.served == 2
    for t in checks:
        t.join(10)
    assert len(statuses) == 45


def test_a_slow_url_check_is_refused_within_the_deadline(tmp_path):
    settings = Settings(home=tmp_path / "home", allow_private_fetch=True, fetch_timeout=1)
    with slow_header_server() as slow, TestClient(create_app(settings)) as client:
        started = time.monotonic()
        resp = client.post("/api/check", json={"url": f"{slow.url}/x"})
        assert resp.status_code == 400
        assert resp.json()["error"] == f"{slow.url}/x: no answer within 1 seconds"
        assert time.monotonic() - started < 5


@pytest.fixture
def client(tmp_path) -> TestClient:
    with TestClient(create_app(Settings(home=tmp_path / "home"))) as c:
        yield c


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},
        {"Origin": "http://testserver:8080"},  # another port is another origin
        {"Origin": "https://testserver"},  # and another scheme
        {"Origin": "null"},  # a sandboxed page or a data: URL
        {"Referer": "http://evil.example/form.html"},
    ],
)
def test_a_cross_site_post_is_refused(client, headers):
    page = client.post("/check", data={"text": STORY}, headers=headers)
    assert page.status_code == 403
    assert "this POST came from another site" in page.text
    api = client.post("/api/check", json={"text": STORY}, headers=headers)
    assert api.status_code == 403
    assert api.json()["error"].startswith("refused: this POST came from another site (")
    assert "\n" not in api.json()["error"]


def test_a_post_from_the_site_itself_or_no_browser_is_accepted(client):
    for headers in (
        {"Origin": "http://testserver"},
        {"Referer": "http://testserver/check"},
        {},  # curl and scripts send neither
    ):
        assert client.post("/check", data={"text": STORY}, headers=headers).status_code == 200
    assert client.get("/check", headers={"Origin": "http://evil.example"}).status_code == 200


def write_copies(folder: Path, n: int) -> None:
    """``n`` reposts of one story, each with its own header line."""
    folder.mkdir()
    for i in range(n):
        front = json.dumps(
            {
                "title": f"转发第{i}次：警惕冒充客服退款诈骗",
                "date": "2023-05-06",
                "source": f"某地公安{i}",
                "url": f"https://example.org/copies/{i}.html",
            },
            ensure_ascii=False,
        )
        body = f"【某地公安第{i}分局】转发提醒\n{STORY}"
        (folder / f"copy_{i:03d}.md").write_text(f"---\n{front}\n---\n\n{body}\n", "utf-8")


def test_a_check_matching_many_copies_is_bounded(cli, tmp_path):
    home = tmp_path / "home"
    write_copies(tmp_path / "copies", MAX_MATCHES + 12)
    assert run(cli, "import", str(tmp_path / "copies"), "--home", str(home)).exit_code == 0
    arc = Archive.open(home)
    run_dedup(arc)
    update_index(arc)
    arc.close()
    with TestClient(create_app(Settings(home=home))) as c:
        got = c.post("/api/check", json={"text": REPOST}).json()
        assert len(got["matches"]) == MAX_MATCHES
        assert got["omitted"] == {"matches": 12}
        html = c.post("/check", data={"text": REPOST}).text
        assert f"The {MAX_MATCHES} closest are listed; 12 more matches are not shown." in html
        assert html.count('href="/articles/') == MAX_MATCHES
    human = run(cli, "check", "-", "--home", str(home), input=REPOST)
    assert "12 more matches not shown" in human.stdout


def test_inline_diffs_of_a_long_archived_copy_are_cut_and_say_so():
    long_copy = "\n".join(f"第{i}段：其他案情的描述，与所查文字无关。" * 3 for i in range(400))
    checked = "\n".join([STORY, "一" * (SEG_CHARS + 500)])
    view = capped(side_by_side(long_copy + "\n" + STORY, checked))
    rows = view.header + view.body + view.signoff
    shown = sum(len(s.text) for r in rows for s in r.left + r.right)
    assert shown < VIEW_CHARS + 2 * SEG_CHARS
    notes = [s.text for r in rows for s in r.left + r.right if s.kind == "note"]
    assert any("paragraphs" in n and "only in the archived copy, not shown" in n for n in notes)
    assert " … (500 characters not shown)" in notes
    assert view.counts == side_by_side(long_copy + "\n" + STORY, checked).counts


def test_a_long_diff_in_the_answer_is_bounded_and_says_what_was_left_out():
    change = {"op": "replace", "a": "甲" * 1500, "b": "乙", "before": "前" * 1200, "after": ""}
    result = {"matches": [], "diff": {"a": 1, "changes": [change] * (MAX_CHANGES + 5)}}
    got = bounded(result)
    assert len(got["diff"]["changes"]) == MAX_CHANGES
    first = got["diff"]["changes"][0]
    assert first["a"] == "甲" * MAX_CHANGE_CHARS + "…"
    assert first["before"] == "…" + "前" * MAX_CHANGE_CHARS  # the context next to the change
    assert first["b"] == "乙"
    assert got["omitted"] == {"changes": 5, "change_chars": MAX_CHANGES * (500 + 200)}
    assert bounded({"matches": [{"id": 1}]})["omitted"] == {}

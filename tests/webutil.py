"""Helpers of the web tests: a real archive built by ``fanzha import``, real servers.

The archive holds the two seed bulletins, generated bulletins from three sources
over three years (one story reposted with a new header, sign-off and edits), and
hostile pages whose title, body and raw HTML carry scripts. Dedup and Search are
run over it, as ``fanzha nightly`` would.
"""

from __future__ import annotations

import http.server
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from archive import Archive
from archive.dedup import run_dedup
from archive.models import Article, CrawlError, CrawlRun
from fanzha.config import Settings
from fanzha.web import create_app
from search import update_index

from .conftest import SEEDS, run

SOURCES = ["公安部刑侦局", "平安北京", "中国网"]
TYPES = ["刷单返利", "冒充电商物流客服", "虚假投资理财"]  # canonical names (fraud_types.toml)
XSS_TITLE = '<script>document.title="PWNED";window.__pwned=1</script>冒充客服退款诈骗预警'
XSS_BODY = '<img src=x onerror="window.__pwned=2">'
STORY = (
    "近期，冒充电商客服以“商品质量问题需要退款”为由实施诈骗的案件高发。\n"
    "骗子冒充客服来电，准确说出受害人的订单信息，诱导其下载会议软件并开启屏幕共享。\n"
    "随后骗子以“退款需要验证”为由，让受害人提供银行卡号和验证码，转走卡内资金。\n"
    "警方提醒：正规客服不会要求屏幕共享，更不会索要验证码，接到此类电话请拨打96110核实。"
)
REPOST = (
    "【平安北京】转发提醒，请扩散！\n"
    "近期，冒充电商客服以“商品质量问题需要退款”为由实施诈骗的案件多发。\n"
    "骗子冒充客服来电，准确说出受害人的订单信息，诱导其下载会议软件并开启屏幕共享。\n"
    "随后骗子以“退款需要验证”为由，让受害人提供银行卡号和验证码，转走卡内资金。\n"
    "警方提醒：正规客服不会要求屏幕共享，更不会索要验证码，接到此类电话请拨打96110核实。\n"
    "来源：平安北京 编辑：王五"
)
FILLER = [
    "刷单返利类诈骗仍是发案最多的类型，骗子以兼职为名诱导先垫付后返利。",
    "虚假投资理财诈骗多以高收益为诱饵，通过社交软件拉人进群，推荐虚假平台。",
    "国家反诈中心APP可以识别涉诈电话和短信，请广大群众下载注册。",
    "一证通查服务可以查询本人名下的电话卡，防止被他人冒用。",
]

HOSTILE_HTML = """<!doctype html>
<html><head><meta charset="utf-8">
<title>&lt;script&gt;document.title="PWNED"&lt;/script&gt;刷单返利骗局揭秘</title>
<script>document.title = "PWNED"; window.__pwned = 3; try { parent.__pwned = 4; parent.document.title = "PWNED"; } catch (e) {}</script>
</head><body onload="document.title='PWNED'">
<h1>&lt;script&gt;document.title="PWNED"&lt;/script&gt;刷单返利骗局揭秘</h1>
<div id="article"><p>发布时间：2023-03-08</p>
<p>刷单返利诈骗的套路：先以小额返利取得信任，再诱导受害人大额投入，最后拉黑失联。&lt;script&gt;window.__pwned=5&lt;/script&gt;</p>
<p>警方提醒：所有刷单都是诈骗，凡是要求先垫付资金的兼职都是骗局，切勿轻信。</p>
<p>如遇可疑情况，请及时拨打110或96110咨询，守护好自己的钱袋子。</p>
<img src="http://127.0.0.1:9/tracker.png" onerror="window.__pwned=6">
</div></body></html>
"""


def _md(path: Path, *, title: str, date: str, source: str, url: str, body: str) -> None:
    front = json.dumps(
        {"title": title, "date": date, "source": source, "url": url}, ensure_ascii=False
    )
    path.write_text(f"---\n{front}\n---\n\n{body}\n", encoding="utf-8")


def write_corpus(folder: Path) -> Path:
    """Generated bulletins as files, ready for ``fanzha import``."""
    folder.mkdir(parents=True, exist_ok=True)
    n = 0
    for year in (2021, 2022, 2023):
        for month in (2, 6, 11):
            src = SOURCES[n % 3]
            body = "\n".join(FILLER[(n + k) % 4] + f"（第{n}期）" for k in range(3))
            _md(
                folder / f"gen_{n:02d}.md",
                title=f"{src}反诈提醒第{n}期",
                date=f"{year}-{month:02d}-1{n % 9}",
                source=src,
                url=f"https://example.org/gen/{n}.html",
                body=body,
            )
            n += 1
    _md(
        folder / "story_a.md",
        title="警惕冒充客服退款诈骗",
        date="2023-05-04",
        source=SOURCES[0],
        url="https://example.org/story/a.html",
        body=STORY,
    )
    _md(
        folder / "story_b.md",
        title="警惕！冒充客服退款诈骗",
        date="2023-05-06",
        source=SOURCES[1],
        url="https://example.org/story/b.html",
        body=REPOST,
    )
    _md(
        folder / "xss.md",
        title=XSS_TITLE,
        date="2023-07-01",
        source=SOURCES[2],
        url="javascript:alert(1)",
        body=f"冒充客服诈骗提醒。{XSS_BODY}\n请勿相信任何索要验证码的来电。",
    )
    (folder / "hostile.html").write_text(HOSTILE_HTML, encoding="utf-8")
    return folder


def fraud_types_for(title: str, text: str) -> list[str]:
    blob = title + text
    return [t for t, key in zip(TYPES, ("刷单", "客服", "投资"), strict=True) if key in blob]


def build_archive(cli, home: Path, db_url: str | None, work: Path) -> dict[str, int]:
    """Import seeds + corpus with the CLI, tag fraud types, record a run, run the stages."""
    corpus = write_corpus(work / "corpus")
    args = ["import", str(SEEDS), str(corpus), "--home", str(home), "--json"]
    if db_url:
        args += ["--db", db_url]
    result = run(cli, *args)
    assert result.exit_code == 0, result.stdout + result.stderr
    out = json.loads(result.stdout)
    assert not out["errors"], out["errors"]
    arc = Archive.open(home, db_url)
    ids: dict[str, int] = {}
    with arc.session() as s:
        for a in s.scalars(select(Article)):
            a.fraud_types = fraud_types_for(a.title, a.text)
            name = Path(a.extra.get("path", "")).name
            ids[name] = a.id
        started = datetime(2024, 1, 2, 1, 0, tzinfo=UTC)
        good = CrawlRun(
            kind="nightly",
            started_at=started,
            finished_at=started.replace(minute=7),
            status="ok",
            sites=["mps", "bjpolice"],
            pages=40,
            new=12,
            updated=1,
            unchanged=27,
            error_count=0,
            figures={
                "host": "nightly-box",
                "sites": {
                    "mps": {"pages": 25, "new": 8, "errors": 0},
                    "bjpolice": {"pages": 15, "new": 4, "errors": 0},
                },
                "stages": {"dedup": {"processed": 15, "seconds": 0.4}},
            },
        )
        bad = CrawlRun(
            kind="nightly",
            started_at=started.replace(day=3),
            finished_at=started.replace(day=3, minute=3),
            status="partial",
            sites=["mps", "down"],
            pages=9,
            new=2,
            updated=0,
            unchanged=7,
            error_count=2,
            figures={
                "sites": {
                    "mps": {"pages": 9, "new": 2, "errors": 0},
                    "down": {"pages": 0, "new": 0, "errors": 2},
                }
            },
        )
        bad.errors = [
            CrawlError(
                site="down",
                url="https://down.example/",
                status=None,
                error="<b>connection refused</b>",
            ),
            CrawlError(site="down", url="https://down.example/list", status=503, error="HTTP 503"),
        ]
        s.add_all([good, bad])
    run_dedup(arc)
    update_index(arc)
    arc.close()
    return ids


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[tuple[TestClient, dict[str, int], Path]]:
    """(client, {file name: article id}, home) over a fresh test archive, once per module.

    Test modules import the fixtures ``site``, ``client`` and ``ids`` from here.
    """
    work = tmp_path_factory.mktemp("web")
    ids = build_archive(CliRunner(), work / "home", None, work)
    with TestClient(create_app(Settings(home=work / "home"))) as client:
        yield client, ids, work / "home"


@pytest.fixture(scope="module")
def client(site) -> TestClient:
    return site[0]


@pytest.fixture(scope="module")
def ids(site) -> dict[str, int]:
    return site[1]


@contextmanager
def uvicorn_server(app) -> Iterator[str]:
    """The app served by a real uvicorn on 127.0.0.1, port 0; yields its base URL."""
    import uvicorn

    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


class _Handler(http.server.BaseHTTPRequestHandler):
    routes: ClassVar[dict[str, tuple[int, dict[str, str], bytes]]] = {}

    def do_GET(self) -> None:
        status, headers, body = self.routes.get(self.path, (404, {}, b"not here"))
        if "X-Sleep" in headers:
            time.sleep(float(headers["X-Sleep"]))
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@contextmanager
def page_server(routes: dict[str, tuple[int, dict[str, str], bytes]]) -> Iterator[str]:
    """A plain HTTP server on 127.0.0.1 serving ``routes`` (path -> status, headers, body)."""
    handler = type("H", (_Handler,), {"routes": routes})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

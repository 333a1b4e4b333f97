"""What ``fanzha crawl`` and ``fanzha nightly`` show while they run: a site that refuses
connections is one line on stderr (no traceback, no Scrapy start-up dump), its details
are in the run's log; progress bars show totals where known; long Chinese titles wrap
inside Rich tables at 80 columns."""

from __future__ import annotations

import io
import logging
import subprocess
from pathlib import Path

import pytest
from rich.cells import cell_len
from rich.console import Console

from fanzha.cli.output import StageProgress
from tests.sites.harness import REPO, WWW, env, fanzha_args, fixture_server, write_sites
from tests.test_crawl_e2e import WECHAT_ONLY, closed_port

from .conftest import run

SITES = (
    WECHAT_ONLY
    + """
[[site]]
key = "refused"
name = "拒绝连接"
start_urls = ["http://127.0.0.1:{closed}/"]
"""
)


@pytest.fixture(scope="module")
def base():
    with fixture_server(WWW) as url:
        yield url


def _run(tmp_path: Path, base: str, command: str) -> tuple[subprocess.CompletedProcess, Path]:
    sites = write_sites(
        tmp_path / "sites.toml", base, SITES.replace("{closed}", str(closed_port()))
    )
    home = tmp_path / "home"
    proc = subprocess.run(
        fanzha_args(command, "--sites", sites, "--home", home),
        capture_output=True, text=True, cwd=REPO, env=env(), timeout=180,
    )  # fmt: skip
    return proc, home


@pytest.mark.parametrize("command", ["crawl", "nightly"])
def test_refused_site_is_one_line_on_stderr_and_details_in_the_log(tmp_path, base, command):
    proc, home = _run(tmp_path, base, command)
    assert proc.returncode == 1, proc.stderr  # partial: one site down
    assert "Traceback" not in proc.stderr
    assert "Scrapy" not in proc.stderr and "Versions" not in proc.stderr  # start-up dump
    about_refused = [line for line in proc.stderr.splitlines() if "refused" in line]
    assert len(about_refused) == 1, proc.stderr
    assert "site refused could not be crawled: connection refused" in about_refused[0]
    assert "wechat" not in " ".join(about_refused)
    logs = {p.name: p.read_text(encoding="utf-8") for p in (home / "logs").glob("*.log")}
    log_name = about_refused[0].rsplit("details in ", 1)[1].rsplit("/", 1)[1]
    assert log_name in logs
    details = "\n".join(logs.values())
    assert "Traceback" in details and "Connection refused" in details  # the details
    assert "Scrapy" in details and "started" in details  # the start-up dump stays here
    if command == "nightly":
        run_log = next(text for name, text in logs.items() if name.startswith("run-"))
        assert "could not be crawled" in run_log and " DEBUG " not in run_log


def _bars(steps) -> str:
    out = io.StringIO()
    term = Console(file=out, force_terminal=True, width=80, color_system=None)
    with StageProgress(console=term) as progress:
        for step in steps:
            progress(*step)
    return out.getvalue()


def test_progress_bars_show_totals_and_eta_where_known():
    shown = _bars([("crawl mps", 0, None), ("crawl mps", 7, None), ("dedup", 2, 5)])
    assert "/?" not in shown
    assert "7 pages" in shown  # a site's crawl has no known total: its count of pages
    assert "2/5" in shown and "eta" in shown  # dedup knows its total: done/total, time left


def test_terminal_log_is_own_records_one_line_each():
    err = io.StringIO()
    plain = Console(file=err, force_terminal=False, width=80)
    with StageProgress(console=plain, level=logging.WARNING):
        try:
            raise ConnectionRefusedError("Connection was refused by other side")
        except ConnectionRefusedError:
            logging.getLogger("scrapy.core.scraper").exception("Error downloading robots.txt")
            logging.getLogger("crawler.runner").exception("site x could not be crawled\nmore")
        logging.getLogger("scrapy.utils.log").warning("Scrapy 2.19.0 started")
        logging.getLogger("fanzha.jobs").info("not shown below WARNING")
    lines = err.getvalue().splitlines()
    assert len(lines) == 1 and lines[0].endswith("ERROR site x could not be crawled")
    assert "Traceback" not in err.getvalue()


BODY = "".join(
    f"第{k}条：近期有不法分子以刷单返利为名，诱骗群众下载陌生软件并先行垫付资金，"
    f"警方提醒广大群众，凡是要求先垫付的兼职刷单都是诈骗，请拨打96110咨询。"
    for k in range(1, 13)
)
LONG_TITLE = "警惕“刷单返利”诈骗新套路：先给甜头再让你越陷越深，公安机关提醒广大群众切勿轻信网络兼职刷单广告第{}篇"


def test_long_chinese_titles_wrap_at_80_columns(cli, tmp_path, monkeypatch):
    from fanzha.cli.app import console

    monkeypatch.setattr(console, "width", 80)
    src = tmp_path / "in"
    src.mkdir()
    for k in (1, 2):
        (src / f"a-rather-long-file-name-to-wrap-as-well-{k}.md").write_text(
            f"---\ntitle: {LONG_TITLE.format(k)}\n---\n{BODY}\n",
            encoding="utf-8",
        )
    res = run(cli, "import", src, "--home", tmp_path / "home")
    assert res.exit_code == 0
    lines = res.stdout.splitlines()
    assert max(cell_len(line) for line in lines) <= 80
    assert "…" not in res.stdout  # wrapped, not cut
    title_col = lines[0].index("title")
    joined = "".join(line[title_col:].split("  ")[0].strip() for line in lines[1:5])
    assert LONG_TITLE.format(1) in joined
    # The same in the table of a cluster's copies (fanzha dups).
    assert run(cli, "dedup", "--home", tmp_path / "home").exit_code == 0
    dups = run(cli, "dups", "--home", tmp_path / "home")
    assert dups.exit_code == 0 and "2 copies" in dups.stdout
    assert max(cell_len(line) for line in dups.stdout.splitlines()) <= 80
    assert "…" not in dups.stdout and "第1篇" in dups.stdout and "第2篇" in dups.stdout

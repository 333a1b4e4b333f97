"""The web UI in a real headless Chromium (Debian's, driven by Playwright) against a real
uvicorn on 127.0.0.1: search, article, cluster diff, and archived scripts that must not
run. Screenshots of the main pages are saved to tests/_artifacts/.

Chromium comes from ``scripts/setup-browser.sh`` (run by ``make test``); where it cannot
be had, these tests skip and say why. Never ``playwright install``: it downloads.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fanzha.config import Settings
from fanzha.web import create_app

from .webutil import REPOST, build_archive, uvicorn_server

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("FANZHA_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).parent / "_artifacts"


def cjk_fonts() -> list[str]:
    """Fonts that cover Chinese, as fontconfig (which Chromium uses) lists them."""
    try:
        out = subprocess.run(
            ["fc-list", ":lang=zh", "family"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        ).stdout
    except OSError:
        return []
    return [line for line in out.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: run scripts/setup-browser.sh (make test does)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover - dev dependency
        pytest.skip(f"playwright not installed: {exc}")
    with sync_playwright() as pw:
        try:
            b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        except Exception as exc:
            pytest.skip(f"Chromium at {CHROMIUM} does not start: {str(exc).splitlines()[0]}")
        yield b
        b.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    work = tmp_path_factory.mktemp("webbrowser")
    ids = build_archive(CliRunner(), work / "home", None, work)
    with uvicorn_server(create_app(Settings(home=work / "home"))) as base:
        yield base, ids


@pytest.fixture
def page(browser):
    ctx = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="zh-CN", java_script_enabled=True
    )
    p = ctx.new_page()
    p.set_default_timeout(15_000)
    dialogs: list[str] = []
    p.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    p.dialogs = dialogs
    console: list[str] = []
    p.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    p.console_errors = console
    yield p
    ctx.close()


def shot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def csp_clean(page) -> None:
    """The app's own page broke none of its own Content-Security-Policy rules."""
    assert not [m for m in page.console_errors if "Content Security Policy" in m]


def not_pwned(page) -> None:
    assert page.title() != "PWNED" and page.evaluate("document.title") != "PWNED"
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.dialogs == []


def test_home_renders_chinese_and_hostile_titles_as_text(page, site):
    base, _ = site
    page.goto(base + "/")
    assert "fanzha" in page.title()
    table = page.locator("table.list").inner_text()
    assert "警惕！冒充客服退款诈骗" in table
    assert '<script>document.title="PWNED";window.__pwned=1</script>冒充客服' in table
    not_pwned(page)
    assert cjk_fonts(), "no CJK font: Chinese would render as boxes (scripts/setup-browser.sh)"
    shot(page, "home")


def test_article_with_scripts_in_title_body_and_raw_snapshot(page, site):
    base, ids = site
    page.goto(f"{base}/articles/{ids['hostile.html']}")
    page.wait_for_load_state("load")
    assert page.locator("h1").inner_text().startswith('<script>document.title="PWNED"</script>')
    assert "<script>window.__pwned=5</script>" in page.locator("section.text").inner_text()
    frame_el = page.locator("iframe.raw")
    assert frame_el.get_attribute("sandbox") == ""
    page.wait_for_timeout(500)  # give any script in the snapshot its chance to run
    not_pwned(page)
    shot(page, "article-hostile")
    page.goto(f"{base}/articles/{ids['xss.md']}")
    assert page.locator("a[href^='javascript']").count() == 0
    not_pwned(page)


def test_raw_snapshot_opened_directly_runs_no_script(page, site):
    base, ids = site
    page.goto(f"{base}/raw/{ids['hostile.html']}")
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)
    assert page.title() != "PWNED"
    assert "刷单返利诈骗的套路" in page.locator("body").inner_text()
    assert page.dialogs == []


def test_article_page_links_original_and_cluster(page, site):
    base, ids = site
    page.goto(f"{base}/articles/{ids['001_72b5590c4af24436.txt']}")
    assert "中国网" in page.locator("dl.meta").inner_text()
    assert "2019年11月8日" in page.locator("section.text").inner_text()
    not_pwned(page)
    shot(page, "article")


def test_stats_and_runs_pages(page, site):
    base, _ = site
    page.goto(base + "/stats")
    assert page.locator("svg.chart").count() == 2
    assert page.locator("svg.chart rect").count() > 10
    csp_clean(page)
    shot(page, "stats")
    page.goto(base + "/runs")
    assert "partial" in page.locator("table.runs").inner_text()
    shot(page, "runs")
    page.locator("table.runs tbody tr").first.locator("a").first.click()
    page.wait_for_url(re.compile(r".*/runs/\d+"))
    assert "Errors (2)" in page.locator("h2#errors").inner_text()
    assert "<b>connection refused</b>" in page.locator("table.errors").inner_text()
    csp_clean(page)
    shot(page, "run")


def test_search_shows_highlighted_results(page, site):
    base, _ = site
    page.goto(base + "/")
    page.fill("input[name=q]", "冒充客服")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*\?q=.*"))
    assert page.locator("article.hit").count() >= 1
    marks = page.locator("p.snippet mark")
    assert (
        marks.count() >= 1
        and "冒充" in marks.first.inner_text() + page.locator("p.snippet").first.inner_text()
    )
    not_pwned(page)
    csp_clean(page)
    shot(page, "search")
    page.locator("article.hit h2 a").first.click()
    page.wait_for_url(re.compile(r".*/articles/\d+"))
    not_pwned(page)


def test_cluster_page_and_highlighted_diff(page, site):
    base, ids = site
    page.goto(f"{base}/articles/{ids['story_b.md']}")
    page.locator("dl.meta a[href^='/clusters/']").click()
    page.wait_for_url(re.compile(r".*/clusters/\d+"))
    assert page.locator("table.members tbody tr").count() >= 2
    shot(page, "cluster")
    page.click("form.pick button[type=submit]")
    page.wait_for_url(re.compile(r".*/diff\?a=\d+&b=\d+"))
    assert page.locator("table.sbs ins").count() >= 1 and page.locator("table.sbs del").count() >= 1
    ins_bg = page.locator("table.sbs ins").first.evaluate(
        "e => getComputedStyle(e).backgroundColor"
    )
    assert ins_bg not in ("rgba(0, 0, 0, 0)", "transparent")  # highlighted, not just marked up
    assert "【平安北京】转发提醒" in page.locator("table.sbs.header").inner_text()
    not_pwned(page)
    csp_clean(page)
    shot(page, "diff")


def test_check_page_pasted_text(page, site):
    base, ids = site
    page.goto(base + "/check")
    page.fill("textarea[name=text]", REPOST)
    page.click("form.check button[type=submit]")
    page.wait_for_load_state("load")
    assert page.locator(f"a[href='/articles/{ids['story_a.md']}']").count() >= 1
    assert page.locator("section.inline-diff").count() >= 1
    shot(page, "check")

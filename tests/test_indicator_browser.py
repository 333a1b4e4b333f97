"""The indicators pages in a real headless Chromium (Debian's, driven by Playwright)
against a real uvicorn on 127.0.0.1: the list, a value's page, on to a bulletin.

Same browser set-up as ``tests/test_web_browser.py`` (its fixtures; skips where no
Chromium can be had)."""

from __future__ import annotations

import pytest

from archive import Archive, store_document
from fanzha.config import Settings
from fanzha.web import create_app
from search import update_index

from .test_indicator_views import APP, MEETING, PHONE, QQ_CASE, _doc
from .test_web_browser import browser, csp_clean, page, shot  # noqa: F401 (fixtures)
from .webutil import uvicorn_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    home = tmp_path_factory.mktemp("indicators") / "home"
    arc = Archive.open(home)
    with arc.session() as s:
        meeting = store_document(
            s,
            _doc(
                "https://a.example/1", "冒充客服诱导共享屏幕", MEETING, "平安北京", 1, ["冒充客服"]
            ),
        ).article.id
        store_document(
            s, _doc("https://b.example/2", "QQ好友借钱骗局", QQ_CASE, "中国网", 5, ["冒充熟人"])
        )
        s.commit()
    update_index(arc)
    arc.close()
    with uvicorn_server(create_app(Settings(home=home))) as base:
        yield base, meeting


def test_indicators_page_to_a_value_to_its_bulletin(page, served):  # noqa: F811
    base, meeting = served
    page.goto(base + "/")
    page.get_by_role("link", name="线索 Indicators").click()
    page.wait_for_url(base + "/indicators")
    rows = page.locator("table.indicators tbody tr")
    assert rows.count() >= 5
    assert APP in page.locator("table.indicators").inner_text()
    shot(page, "indicators")

    page.select_option("select[name=kind]", "phone")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**/indicators?kind=phone*")
    assert APP not in page.locator("table.indicators").inner_text()

    page.get_by_role("link", name=PHONE).click()
    page.wait_for_url(f"{base}/indicators/phone/{PHONE}")
    assert PHONE in page.locator("h1").inner_text()
    bulletins = page.locator("table.bulletins tbody tr")
    assert bulletins.count() == 1
    shot(page, "indicator")

    page.get_by_role("link", name="冒充客服诱导共享屏幕").click()
    page.wait_for_url(f"{base}/articles/{meeting}")
    assert "冒充客服诱导共享屏幕" in page.locator("h1").inner_text()
    listed = page.locator("dd.indicators").inner_text()
    assert PHONE in listed and APP in listed
    # and back from the article to another value's page
    page.locator("dd.indicators a", has_text=APP).click()
    page.wait_for_url(f"{base}/indicators/app/**")
    assert page.locator("table.bulletins tbody tr").count() == 2
    csp_clean(page)

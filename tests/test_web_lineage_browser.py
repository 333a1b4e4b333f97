"""Change labels and lineage on the cluster pages, in a real headless Chromium
(issue 14 items 2 and 3): each copy's labels, the one-line summary, the substance /
form filter of the cluster list, and the lineage tree drawn by the server."""

from __future__ import annotations

import re

import pytest

from .test_web_browser import browser, csp_clean, page, shot, site  # noqa: F401

pytestmark = pytest.mark.browser

SEED_WECHAT, SEED_CHINACOM = "000_48b3d1093c5a9dfd.txt", "001_72b5590c4af24436.txt"


def test_cluster_labels_summary_filter_and_lineage(page, site):  # noqa: F811
    base, ids = site
    wechat, chinacom = ids[SEED_WECHAT], ids[SEED_CHINACOM]
    page.goto(f"{base}/clusters")
    assert page.locator("td.summary").count() >= 1
    page.locator("#changed-filter a", has_text="copies changed substance").click()
    page.wait_for_url(re.compile(r".*/clusters\?changed=substance"))
    rows = page.locator("table.list tbody tr")
    assert rows.count() >= 1
    assert all(
        "chang" in t or "added" in t or "removed" in t or "truncated" in t
        for t in page.locator("td.summary").all_inner_texts()
    )
    seeds_link = page.locator(f"a[href='/articles/{chinacom}']")
    assert seeds_link.count() == 1  # the seeds' cluster changed wording and numbers
    shot(page, "clusters-substance")
    page.goto(f"{base}/clusters?changed=form")
    assert page.locator(f"a[href='/articles/{chinacom}']").count() == 0
    page.goto(f"{base}/articles/{wechat}")
    page.locator("dl.meta a[href^='/clusters/']").click()
    page.wait_for_url(re.compile(r".*/clusters/\d+"))
    summary = page.locator("#cluster-summary").inner_text()
    assert "changed wording" in summary and "changed numbers" in summary
    row = page.locator("table.members tbody tr", has=page.locator(f"a[href='/articles/{wechat}']"))
    labels = row.locator("td.labels .tag").all_inner_texts()
    assert {"header", "signoff", "wording", "numbers"} <= set(labels)
    # the tree: the 中国网 copy at the root, the WeChat repost under it, with the evidence
    root = page.locator("#lineage > ul > li")
    assert root.count() == 1 and root.get_attribute("data-id") == str(chinacom)
    child = root.locator(f"li[data-id='{wechat}']")
    assert child.count() == 1 and "earlier" in child.locator(".evidence").inner_text()
    assert page.locator("script[src]").count() == 0 or all(
        src.startswith("/")
        for src in page.locator("script[src]").evaluate_all(
            "els => els.map(e => e.getAttribute('src'))"
        )
    )
    csp_clean(page)
    shot(page, "cluster-lineage")


def test_bad_filter_is_a_clear_error(page, site):  # noqa: F811
    base, _ = site
    response = page.goto(f"{base}/clusters?changed=everything")
    assert response.status == 400
    assert "changed must be one of substance, form" in page.locator("body").inner_text()

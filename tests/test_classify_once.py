"""A crawled page is classified once: the relevance pipeline's verdict is stored as it
is, even when it tags no fraud type (a page on a ``relevance = "all"`` site), and
storing does not classify it again. The calls are counted in a real ``fanzha crawl``
of a fixture site, by a profiler hook in the crawl process (nothing is patched)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.sites.harness import REPO, env, fixture_server, write_sites

pytestmark = pytest.mark.slow

#: ``python -c`` prologue: count the calls of archive.extract.relevance.classify, then
#: run ``python -m fanzha`` with the remaining arguments
COUNTED = textwrap.dedent(
    """
    import atexit, os, runpy, sys, threading
    calls = [0]
    def hook(frame, event, arg):
        code = frame.f_code
        if event == "call" and code.co_name == "classify" and code.co_filename.endswith(
            os.path.join("extract", "relevance.py")
        ):
            calls[0] += 1
    sys.setprofile(hook)
    threading.setprofile(hook)
    atexit.register(lambda: open(os.environ["CLASSIFY_CALLS"], "w").write(str(calls[0])))
    sys.argv = ["fanzha", *sys.argv[1:]]
    runpy.run_module("fanzha", run_name="__main__", alter_sys=True)
    """
)

PAGE = """<html><head><meta charset="utf-8"><title>{title}</title></head><body>
<h1>{title}</h1><div class="content">{body}</div></body></html>"""

FRAUD = [
    "近日，市民王女士接到自称“客服”的电话，称其网购商品质量有问题需要理赔。",
    "对方诱导王女士下载会议软件并开启屏幕共享，随后以“解冻资金”为由让其转账，"
    "王女士先后向对方提供的银行账户转账8.6万元，才发现被骗，随即报警。",
    "警方提示：凡是自称客服要求屏幕共享、转账的，都是诈骗。如遇可疑情况，请拨打96110咨询。",
]
NOTICE = [
    "因城市道路维修施工需要，本周六上午八时至下午六时，人民路东段将实行交通管制。",
    "管制期间，过往车辆请绕行解放路或建设路，公交线路临时调整，具体以公交公司公告为准。",
    "施工单位将在路口设置提示标志并安排专人疏导交通，请广大市民提前规划出行路线，给您带来的不便敬请谅解。",
]

SITES = """
[[site]]
key = "town"
name = "平安镇政府"
kind = "police"
start_urls = ["{base}/town/index.html"]
article_pattern = '/town/n/\\d+\\.html$'
relevance = "all"
"""


def _site(root: Path) -> None:
    (root / "town" / "n").mkdir(parents=True)
    (root / "town" / "index.html").write_text(
        '<html><head><meta charset="utf-8"><title>通知公告</title></head><body>'
        '<a href="/town/n/1.html">冒充客服退款诈骗</a> <a href="/town/n/2.html">交通管制通告</a>'
        "</body></html>",
        encoding="utf-8",
    )
    for n, (title, paras) in enumerate(
        [("警惕冒充客服退款诈骗", FRAUD), ("关于人民路东段实行交通管制的通告", NOTICE)], 1
    ):
        body = "".join(f"<p>{p}</p>" for p in paras)
        (root / "town" / "n" / f"{n}.html").write_text(
            PAGE.format(title=title, body=body), encoding="utf-8"
        )


def test_a_crawled_untagged_page_is_classified_once(tmp_path):
    root = tmp_path / "www"
    _site(root)
    calls = tmp_path / "calls"
    with fixture_server(root) as base:
        sites = write_sites(tmp_path / "sites.toml", base, SITES)
        home = tmp_path / "home"
        proc = subprocess.run(
            [sys.executable, "-c", COUNTED, "crawl", "--sites", sites, "--home", home, "--json"],
            capture_output=True,
            text=True,
            cwd=REPO,
            env=env(CLASSIFY_CALLS=str(calls)),
            timeout=300,
        )
    assert proc.returncode == 0, proc.stderr
    with sqlite3.connect(home / "fanzha.db") as db:
        tags = dict(db.execute("select url, fraud_types from article").fetchall())
    assert len(tags) == 2, (tags, proc.stdout)
    untagged = [url for url, types in tags.items() if types in ("[]", None)]
    assert [u.rsplit("/", 1)[1] for u in untagged] == ["2.html"], tags
    assert int(calls.read_text()) == 2  # one call per page; 3 when storing classified again

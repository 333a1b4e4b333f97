"""Helpers for the end-to-end crawl tests: the fixture server as a subprocess, a sites
file pointing at it, and ``python -m fanzha crawl`` in a subprocess (the Twisted
reactor cannot restart, so every crawl gets its own process)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
WWW = Path(__file__).parent / "www"

SITES = """
[[site]]
key = "portal"
name = "平安新闻网"
kind = "news"
start_urls = ["{base}/portal/index.html"]
article_pattern = '/portal/.*/content_\\d+\\.html$'
follow_pattern = '/portal/index(_\\d+)?\\.html$'

[[site]]
key = "police"
name = "平安市公安局"
kind = "police"
start_urls = ["{base}/police/index.html"]
relevance = "all"

[[site]]
key = "blog"
name = "反诈情报站"
kind = "blog"
start_urls = []
feeds = ["{base}/blog/feed.xml"]

[[site]]
key = "wechat"
name = "平安反诈"
kind = "wechat"
start_urls = ["{base}/wechat/index.html"]
article_pattern = '/wechat/s/'
relevance = "all"

[[site]]
key = "hidden"
name = "平安日报"
kind = "news"
start_urls = []
sitemaps = ["{base}/hidden/sitemap_index.xml"]
relevance = "all"
"""


def env(**extra: str) -> dict[str, str]:
    out = dict(os.environ)
    out["SCRAPY_SETTINGS_MODULE"] = "tests.sites.settings"
    out["PYTHONPATH"] = str(REPO) + os.pathsep + out.get("PYTHONPATH", "")
    out.update(extra)
    return out


@contextmanager
def fixture_server(root: Path, **extra_env: str) -> Iterator[str]:
    """Serve ``root`` with the fixture handler in a subprocess; yields its base URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.sites.server", str(root)],
        stdout=subprocess.PIPE,
        cwd=REPO,
        env=env(**extra_env),
        text=True,
    )
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline().strip())
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def copy_www(dest: Path) -> Path:
    shutil.copytree(WWW, dest)
    return dest


def write_sites(path: Path, base: str, text: str = SITES) -> Path:
    path.write_text(text.replace("{base}", base), encoding="utf-8")
    return path


def fanzha_args(*args: Any) -> list[str]:
    return [sys.executable, "-m", "fanzha", *map(str, args)]


def crawl(
    home: Path, sites: Path, *args: str, timeout: float = 120
) -> tuple[int, dict[str, Any], str]:
    """Run one crawl in a subprocess; returns exit code, the JSON report, stderr."""
    proc = subprocess.run(
        fanzha_args("crawl", "--sites", sites, "--home", home, "--json", *args),
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env(),
        timeout=timeout,
    )
    report = json.loads(proc.stdout) if proc.stdout.strip() else {}
    return proc.returncode, report, proc.stderr


# -- the distributed tests' shared parts (tests/test_distributed.py, tests/test_multihost.py)

DIST_SETTINGS = "tests.sites.dist_settings"  # no retries of slow answers on a loaded machine

#: the generated "many" site (``tests.sites.build.generate_many``), every page relevant
MANY = """
[[site]]
key = "many"
name = "平安资讯网"
start_urls = ["{base}/many/index.html"]
article_pattern = '/many/.*/content_\\d+\\.html$'
follow_pattern = '/many/index(_\\d+)?\\.html$'
relevance = "all"
"""

#: the same site as the distributed tests crawl it: a news site, 2 requests at once
MANY_DISTRIBUTED = MANY + 'kind = "news"\nconcurrency = 2\n'


def signature(db_url: str) -> dict[str, str]:
    """{article URL: content hash} of the archive at ``db_url``; asserts no URL is stored twice."""
    from collections import Counter

    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    with engine.connect() as conn:
        rows = conn.execute(text("select url, content_hash from article")).all()
    engine.dispose()
    urls = Counter(url for url, _ in rows)
    assert not [u for u, n in urls.items() if n > 1], "an article stored twice"
    return dict(rows)

"""One rule for showing published times, on every output that shows them.

China time (+08:00) unless the page gave another zone; a value known only to the day
shown as that day (``2022-05-15``), never as midnight in UTC
(``2022-05-14T16:00:00+00:00``). And the web search and the API take ``YYYY-MM`` and
``YYYY`` filters as the CLI does.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from archive import Archive
from archive.models import Article
from archive.times import show_published
from fanzha.config import Settings
from fanzha.web import create_app

from .conftest import run
from .webutil import REPOST, STORY

DATE_ONLY = "2022-05-15"
CHINA = "2022-05-16T10:30:00+08:00"
TOKYO = "2022-05-17T09:00:00+09:00"
FILES = {
    "a.md": ("冒充客服退款诈骗预警", DATE_ONLY, "平安北京", STORY),
    "b.md": ("冒充客服退款诈骗预警（转）", "2022-05-16 10:30", "中国网", REPOST),
    "c.md": ("冒充客服退款诈骗预警（日本版）", TOKYO, "东京警视厅", STORY + "\n请转告家人。"),
}
SHOWN = {"a.md": DATE_ONLY, "b.md": CHINA, "c.md": TOKYO}


def build(work: Path, db_url: str | None = None) -> tuple[list[str], dict[str, int], Path]:
    """Three copies of one story (a date-only, a China-time and a Tokyo-time one),
    imported, deduplicated and indexed with the CLI: (options, {file: id}, home)."""
    from typer.testing import CliRunner

    cli = CliRunner()
    for name, (title, date, source, body) in FILES.items():
        front = json.dumps(
            {"title": title, "date": date, "source": source, "url": f"https://x.example/{name}"},
            ensure_ascii=False,
        )
        (work / name).write_text(f"---\n{front}\n---\n\n{body}\n", encoding="utf-8")
    opts = ["--home", str(work / "home")] + (["--db", db_url] if db_url else [])
    for step in (["import", *(str(work / n) for n in FILES)], ["dedup"], ["index"]):
        result = run(cli, *step, *opts)
        assert result.exit_code == 0, result.stdout + result.stderr
    arc = Archive.open(work / "home", db_url)
    with arc.session() as s:
        ids = {Path(a.url).name: a.id for a in s.scalars(select(Article))}
    arc.close()
    return opts, ids, work / "home"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[list[str], dict[str, int], Path]:
    return build(tmp_path_factory.mktemp("dates"))


@pytest.fixture(scope="module")
def client(built):
    with TestClient(create_app(Settings(home=built[2]))) as c:
        yield c


def shown_by_id(members, ids) -> dict[str, str]:
    by_id = {v: k for k, v in ids.items()}
    return {by_id[m["id"]]: m["published"] for m in members}


def test_the_rule_itself():
    midnight = datetime(2022, 5, 15, tzinfo=timezone(timedelta(hours=8)))
    assert show_published(midnight, "date") == "2022-05-15"
    assert show_published(midnight.astimezone(UTC), "inferred-year") == "2022-05-15"
    assert show_published(midnight.astimezone(UTC), "datetime") == "2022-05-15T00:00:00+08:00"
    assert show_published(midnight, "datetime", "+09:00") == "2022-05-15T01:00:00+09:00"
    assert show_published(None, "date") is None


def test_cli_dups_and_diff_json(built):
    from typer.testing import CliRunner

    cli = CliRunner()
    opts, ids, _ = built
    listed = json.loads(run(cli, "dups", *opts, "--json").stdout)
    assert len(listed) == 1 and listed[0]["size"] == 3
    assert shown_by_id(listed[0]["members"], ids) == SHOWN
    detail = json.loads(run(cli, "dups", str(listed[0]["id"]), *opts, "--json").stdout)
    assert shown_by_id(detail["members"], ids) == SHOWN
    assert {m["published_precision"] for m in detail["members"]} == {"date", "datetime"}
    diff = json.loads(run(cli, "diff", str(ids["a.md"]), str(ids["c.md"]), *opts, "--json").stdout)
    assert (diff["a"]["published"], diff["b"]["published"]) == (DATE_ONLY, TOKYO)
    assert diff["metadata"]["published"] == {"a": DATE_ONLY, "b": TOKYO}


def test_cli_search_and_export_json(built):
    from typer.testing import CliRunner

    cli = CliRunner()
    opts, ids, _ = built
    found = json.loads(run(cli, "search", "冒充客服", "--all-copies", *opts, "--json").stdout)
    assert shown_by_id(found["hits"], ids) == SHOWN
    result = run(cli, "export", "--format", "jsonl", *opts)
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert shown_by_id(rows, ids) == SHOWN


def test_api_clusters_diff_search_article(client, built):
    _, ids, _ = built
    clusters = client.get("/api/clusters").json()
    assert shown_by_id(clusters[0]["members"], ids) == SHOWN
    detail = client.get(f"/api/clusters/{clusters[0]['id']}").json()
    assert shown_by_id(detail["members"], ids) == SHOWN
    diff = client.get(f"/api/diff?a={ids['a.md']}&b={ids['b.md']}").json()
    assert (diff["a"]["published"], diff["b"]["published"]) == (DATE_ONLY, CHINA)
    assert diff["metadata"]["published"] == {"a": DATE_ONLY, "b": CHINA}
    hits = client.get("/api/search", params={"q": "冒充客服", "all_copies": "true"}).json()
    assert shown_by_id(hits["hits"], ids) == SHOWN
    for name, shown in SHOWN.items():
        assert client.get(f"/api/articles/{ids[name]}").json()["published"] == shown


def test_web_pages_show_the_day_and_the_zone(client, built):
    _, ids, _ = built
    page = client.get(f"/articles/{ids['a.md']}").text
    assert "2022-05-15" in page and "2022-05-15 00:00" not in page
    page = client.get(f"/articles/{ids['c.md']}").text
    assert "2022-05-17 09:00 +09:00" in page


@pytest.mark.parametrize(
    ("since", "until", "expected"),
    [
        ("2022-05", None, {"a.md", "b.md", "c.md"}),
        ("2022", "2022", {"a.md", "b.md", "c.md"}),
        (None, "2022-05-15", {"a.md"}),
        ("2022-05-16", "2022-05", {"b.md", "c.md"}),
        ("2022-06", None, set()),
        ("2021", "2021", set()),
    ],
)
def test_api_and_web_take_year_and_month_filters(client, built, since, until, expected):
    _, ids, _ = built
    by_id = {v: k for k, v in ids.items()}
    params = {"q": "冒充客服", "all_copies": "true"}
    params.update({k: v for k, v in (("since", since), ("until", until)) if v})
    response = client.get("/api/search", params=params)
    assert response.status_code == 200, response.text
    assert {by_id[h["id"]] for h in response.json()["hits"]} == expected
    page = client.get("/", params=params)
    assert page.status_code == 200
    listing = client.get("/", params={k: v for k, v in params.items() if k != "q"})
    assert listing.status_code == 200
    for name in FILES:
        assert (f"/articles/{ids[name]}" in listing.text) == (name in expected)


@pytest.mark.parametrize("bad", ["2022-5", "22", "2022-13", "２０２２", "2022/05"])
def test_bad_filters_are_400_naming_the_forms(client, bad):
    response = client.get("/api/search", params={"q": "x", "since": bad})
    assert response.status_code == 400
    assert "since" in response.json()["error"]


@pytest.mark.postgres
def test_the_rule_on_postgresql(pg_url, tmp_path):
    from typer.testing import CliRunner

    cli = CliRunner()
    opts, ids, _ = build(tmp_path, pg_url)
    listed = json.loads(run(cli, "dups", *opts, "--json").stdout)
    detail = json.loads(run(cli, "dups", str(listed[0]["id"]), *opts, "--json").stdout)
    assert shown_by_id(detail["members"], ids) == SHOWN
    found = json.loads(run(cli, "search", "冒充客服", "--all-copies", *opts, "--json").stdout)
    assert shown_by_id(found["hits"], ids) == SHOWN

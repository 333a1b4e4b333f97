"""The JSON API over a real archive built by ``fanzha import`` (SQLite; PostgreSQL too
where the database matters): shapes of docs/contracts.md, errors as {"error"} with 400/404/503."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from fanzha.config import Settings
from fanzha.web import create_app

from .webutil import (
    REPOST,
    build_archive,
    client,
    ids,
    page_server,
    site,
)

HIT_FIELDS = "id url title source published snippet score cluster copies"  # docs/contracts.md
FIXTURES = (site, client, ids)  # module-scoped fixtures over one test archive, from webutil


def error_of(resp, status):
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/json")
    body = resp.json()
    assert set(body) == {"error"} and body["error"].strip() and "\n" not in body["error"]
    return body["error"]


def test_article_json_has_the_export_fields(client, ids):
    got = client.get(f"/api/articles/{ids['story_b.md']}").json()
    assert got["title"] == "警惕！冒充客服退款诈骗"
    assert got["source"] == "平安北京" and got["url"] == "https://example.org/story/b.html"
    assert got["published"] == "2023-05-06"  # a date-only value (published_precision)
    assert got["fraud_types"] == ["冒充电商物流客服"]
    assert got["text"].startswith("【平安北京】转发提醒") and "来源：平安北京" in got["text"]
    assert got["raw"] is True and "cluster" in got and got["versions"] == []


def test_article_errors(client):
    assert "no article" in error_of(client.get("/api/articles/999999"), 404)
    assert "integer" in error_of(client.get("/api/articles/abc"), 400)
    assert "no page" in error_of(client.get("/api/nothing-here"), 404)


def test_openapi_describes_every_endpoint(client):
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for path in (
        "/api/search",
        "/api/articles/{article_id}",
        "/api/clusters",
        "/api/clusters/{cluster_id}",
        "/api/diff",
        "/api/runs",
    ):
        assert "get" in paths[path], path
    assert "post" in paths["/api/check"]
    params = {p["name"] for p in paths["/api/search"]["get"]["parameters"]}
    assert {"q", "source", "type", "since", "until", "all_copies", "limit", "offset"} <= params
    assert "ErrorOut" in spec["components"]["schemas"]
    assert not any(p.startswith(("/articles", "/clusters", "/raw")) for p in paths)
    assert client.get("/docs").status_code == 404  # Swagger UI would fetch a CDN


def test_runs_newest_first_with_figures_and_errors(client):
    runs = client.get("/api/runs").json()
    assert [r["status"] for r in runs] == ["partial", "ok"]
    partial, ok = runs
    assert {"run", "status", "pages", "new", "updated", "unchanged", "errors"} <= set(ok)
    assert ok["figures"]["sites"]["mps"] == {"pages": 25, "new": 8, "errors": 0}
    assert partial["errors"] == 2 and partial["error_list"][1]["status"] == 503
    one = client.get(f"/api/runs/{partial['run']}").json()
    assert one["error_list"][0]["error"] == "<b>connection refused</b>"
    error_of(client.get("/api/runs/424242"), 404)
    assert "limit" in error_of(client.get("/api/runs?limit=0"), 400)


def test_stats_count_articles_per_month_and_types(client):
    stats = client.get("/api/stats").json()
    assert stats["months"][0] == "2021-02" and stats["months"][-1] == "2023-11"
    assert len(stats["months"]) == 34  # every month between, gaps filled with 0
    assert sum(sum(v) for v in stats["by_source"].values()) == stats["totals"]["articles"]
    assert stats["totals"]["articles"] == 15 and stats["totals"]["undated"] == 0
    june_2021 = stats["months"].index("2021-06")
    assert stats["by_source"]["平安北京"][june_2021] == 1
    assert stats["years"] == ["2021", "2022", "2023"]
    assert stats["by_fraud_type"]["冒充电商物流客服"] == [0, 0, 3]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("q=x&since=2023-13-01", "since must be a date"),
        ("q=x&until=yesterday", "until must be a date"),
        ("q=x&limit=1000", "limit"),
        ("q=x&sort=random", "sort"),
        ("", "q"),
    ],
)
def test_search_bad_parameters_are_400(client, query, message):
    assert message in error_of(client.get(f"/api/search?{query}"), 400)


def test_search_hits_have_the_design_shape(client):
    got = client.get("/api/search", params={"q": "冒充客服"}).json()
    assert got["total"] >= 2 and set(got["facets"]) >= {"source", "year", "fraud_type"}
    hit = got["hits"][0]
    assert set(HIT_FIELDS.split()) <= set(hit)
    titles = [h["title"] for h in got["hits"]]
    assert any("冒充客服退款诈骗" in t for t in titles)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"q": "nosuchfield:x"}, "unknown field"),
        ({"q": '"unclosed'}, "quote"),
        ({"q": "反诈", "since": "2023-05-01", "until": "2021-01-01"}, "after"),
        ({"q": "反" * 501}, "at most 500 characters"),
    ],
)
def test_search_bad_queries_are_400(client, params, message):
    assert message in error_of(client.get("/api/search", params=params), 400)


def test_search_filters(client):
    only = client.get(
        "/api/search", params={"q": "反诈提醒", "source": "中国网", "all_copies": True}
    ).json()
    assert only["hits"] and {h["source"] for h in only["hits"]} == {"中国网"}
    dated = client.get(
        "/api/search",
        params={"q": "反诈提醒", "since": "2023-01-01", "until": "2023-12-31", "all_copies": True},
    ).json()
    assert dated["hits"] and all(h["published"].startswith("2023") for h in dated["hits"])
    page2 = client.get(
        "/api/search", params={"q": "反诈提醒", "limit": 2, "offset": 2, "all_copies": True}
    ).json()
    page1 = client.get(
        "/api/search", params={"q": "反诈提醒", "limit": 2, "all_copies": True}
    ).json()
    assert len(page1["hits"]) == 2 and {h["id"] for h in page1["hits"]}.isdisjoint(
        h["id"] for h in page2["hits"]
    )


def test_search_collapses_reposts(client, ids):
    one = client.get("/api/search", params={"q": "退款", "all_copies": False}).json()
    every = client.get("/api/search", params={"q": "退款", "all_copies": True}).json()
    story = {ids["story_a.md"], ids["story_b.md"]}
    collapsed = [h for h in one["hits"] if h["id"] in story]
    assert len(collapsed) == 1 and collapsed[0]["copies"] == 2
    assert story <= {h["id"] for h in every["hits"]}


def test_clusters_list_and_detail(client, ids):
    clusters = client.get("/api/clusters").json()
    a, b = ids["story_a.md"], ids["story_b.md"]
    story = next(c for c in clusters if {m["id"] for m in c["members"]} >= {a, b})
    assert {"id", "canonical", "members"} <= set(story) and story["canonical"] == a
    assert {"id", "url", "title", "similarity", "relation"} <= set(story["members"][0])
    detail = client.get(f"/api/clusters/{story['id']}").json()
    assert [m["id"] for m in detail["members"]][:2] == [a, b]  # published order
    assert {"published", "source", "containment"} <= set(detail["members"][0])
    error_of(client.get("/api/clusters/987654"), 404)


def test_seeds_are_one_cluster(client, ids):
    got = client.get(f"/api/articles/{ids['001_72b5590c4af24436.txt']}").json()
    other = client.get(f"/api/articles/{ids['000_48b3d1093c5a9dfd.txt']}").json()
    assert got["cluster"] is not None and got["cluster"] == other["cluster"]


def test_diff_by_id_and_by_url(client, ids):
    a, b = ids["story_a.md"], ids["story_b.md"]
    got = client.get(f"/api/diff?a={a}&b={b}").json()
    assert {"a", "b", "similarity", "changes", "metadata"} <= set(got)
    assert 0.5 < got["similarity"] <= 1
    assert any(
        c["op"] == "replace" and "高发" in c["a"] and "多发" in c["b"] for c in got["changes"]
    )
    by_url = client.get(
        "/api/diff",
        params={"a": "https://example.org/story/a.html", "b": "https://example.org/story/b.html"},
    ).json()
    assert by_url["changes"] == got["changes"]
    assert "same article" in error_of(client.get(f"/api/diff?a={a}&b={a}"), 400)
    error_of(client.get(f"/api/diff?a={a}&b=https://nowhere.example/x"), 404)
    error_of(client.get(f"/api/diff?a={a}"), 400)


def test_check_text_finds_the_story(client, ids):
    got = client.post("/api/check", json={"text": REPOST}).json()
    found = {m["id"] for m in got["matches"]}
    assert {ids["story_a.md"], ids["story_b.md"]} <= found
    m = got["matches"][0]
    assert {"id", "url", "title", "similarity", "containment", "relation"} <= set(m)
    none = client.post(
        "/api/check", json={"text": "今天天气很好，我们去公园散步，看见了很多花。"}
    ).json()
    assert none["matches"] == []


def test_check_bad_input(client):
    assert "text" in error_of(client.post("/api/check", json={}), 400)
    assert "text" in error_of(client.post("/api/check", json={"text": "   "}), 400)
    error_of(client.post("/api/check", json={"txt": "typo"}), 400)
    error_of(
        client.post(
            "/api/check", content=b"{not json", headers={"content-type": "application/json"}
        ),
        400,
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("file:///etc/passwd", "only http and https"),
        ("ftp://127.0.0.1/x", "only http and https"),
        ("http://127.0.0.1:9/", "non-public address 127.0.0.1"),
        ("http://localhost:9/", "non-public address"),
        ("http://10.1.2.3/", "non-public address 10.1.2.3"),
        ("http://169.254.169.254/latest/meta-data/", "non-public address 169.254.169.254"),
        ("http://[::1]:9/", "non-public address ::1"),
        ("http://[::ffff:127.0.0.1]:9/", "non-public address"),
        ("http://0.0.0.0:9/", "non-public address"),
        ("http://user:pw@127.0.0.1/", "user name or password"),
        ("http:///nohost", "names no host"),
    ],
)
def test_check_url_refuses_private_and_odd_urls(client, url, message):
    assert message in error_of(client.post("/api/check", json={"url": url}), 400)


def test_check_url_fetches_when_private_fetch_is_allowed(site, ids):
    home = site[2]
    page = (
        "<html><head><title>转发：冒充客服退款诈骗</title></head><body><div>"
        + "".join(f"<p>{p}</p>" for p in REPOST.split("\n"))
        + "</div></body></html>"
    ).encode()
    with (
        page_server({"/a.html": (200, {"Content-Type": "text/html; charset=utf-8"}, page)}) as base,
        TestClient(create_app(Settings(home=home, allow_private_fetch=True))) as c,
    ):
        got = c.post("/api/check", json={"url": f"{base}/a.html"}).json()
    assert got["input"]["fetched_url"] == f"{base}/a.html"
    assert ids["story_a.md"] in {m["id"] for m in got["matches"]}


# ---- PostgreSQL and SQLite alike: dates, JSON columns and counts --------------------


def test_article_runs_and_stats_on_both_databases(archive, tmp_path):
    archive.close()
    db_url = None if archive.is_sqlite else archive.engine.url.render_as_string(hide_password=False)
    ids = build_archive(CliRunner(), archive.home, db_url, tmp_path)
    with TestClient(create_app(Settings(home=archive.home, db_url=db_url))) as c:
        art = c.get(f"/api/articles/{ids['001_72b5590c4af24436.txt']}").json()
        assert art["source"] == "中国网" and art["published"] == "2022-05-11"
        assert art["published_precision"] == "inferred-year"
        stats = c.get("/api/stats").json()
        assert stats["totals"]["articles"] == 15 and stats["by_fraud_type"]["冒充电商物流客服"] == [
            0,
            0,
            3,
        ]
        runs = c.get("/api/runs").json()
        assert [r["status"] for r in runs] == ["partial", "ok"] and runs[0]["errors"] == 2
        page = c.get(f"/articles/{ids['xss.md']}").text
        assert "&lt;script&gt;document.title" in page and "<script" not in page


def test_raw_json_round_trip_is_utf8(client, ids):
    resp = client.get(f"/api/articles/{ids['story_a.md']}")
    assert "警惕冒充客服退款诈骗".encode() in resp.content  # not \\u-escaped
    assert json.loads(resp.content)["id"] == ids["story_a.md"]

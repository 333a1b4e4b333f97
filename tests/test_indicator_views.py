"""Indicators where researchers look: the export, the search index and its query
language and facets, the JSON API and the web pages. A real SQLite archive, a real
Whoosh index, the real app through TestClient."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from archive import Archive, Document, store_document
from fanzha.config import Settings
from fanzha.web import create_app
from search import QueryError, search, update_index
from search.export import export_articles

CST = timezone(timedelta(hours=8))
PHONE = "13812345678"
APP = "云会议"
URL = "fake-bank.example.com/login"

MEETING = (
    "近日，市民李女士接到自称客服的电话，号码为138-1234-5678，对方诱导其下载“云会议”APP"
    "并共享屏幕，后登录网址http://fake-bank.example.com/login，被骗8.6万元。"
    "如有疑问请拨打96110。"
)
QQ_CASE = "张先生添加对方QQ号123456789，下载“云会议”APP后被骗2万元。"
INVEST = (
    "王某在投资群里听信“老师”推荐，对方电话13987654321，被骗=SUM(1)元的说法不可信，共损失5万元。"
)


def _doc(url: str, title: str, text: str, source: str, day: int, types: list[str]) -> Document:
    return Document(
        url=url,
        title=title,
        text=text,
        source_name=source,
        source_kind="news",
        published_at=datetime(2024, 3, day, 9, tzinfo=CST),
        fraud_types=types,
    )


@pytest.fixture
def named(sqlite_archive: Archive) -> tuple[Archive, dict[str, int]]:
    """Three bulletins: two name the app 云会议, one the phone 13812345678; indexed."""
    arc = sqlite_archive
    with arc.session() as s:
        ids = {
            "meeting": store_document(
                s,
                _doc(
                    "https://a.example/1",
                    "冒充客服诱导共享屏幕",
                    MEETING,
                    "平安北京",
                    1,
                    ["冒充客服"],
                ),
            ).article.id,
            "qq": store_document(
                s, _doc("https://b.example/2", "QQ好友借钱骗局", QQ_CASE, "中国网", 5, ["冒充熟人"])
            ).article.id,
            "invest": store_document(
                s,
                _doc(
                    "https://c.example/3",
                    "虚假投资理财",
                    INVEST,
                    "公安部刑侦局",
                    9,
                    ["虚假投资理财"],
                ),
            ).article.id,
        }
        s.commit()
    update_index(arc)
    return arc, ids


def hit_ids(arc: Archive, query: str, **kw) -> set[int]:
    return {h["id"] for h in search(arc, query, limit=50, **kw)["hits"]}


# -- export ---------------------------------------------------------------------------


def test_jsonl_export_rows_carry_their_indicators(named):
    arc, ids = named
    out = io.StringIO()
    assert export_articles(arc, "jsonl", out) == 3
    rows = {r["id"]: r for r in map(json.loads, out.getvalue().splitlines())}
    meeting = rows[ids["meeting"]]["indicators"]
    assert {"kind": "phone", "value": PHONE, "role": "suspect"} in meeting
    assert {"kind": "app", "value": APP, "role": "suspect"} in meeting
    assert {"kind": "url", "value": URL, "role": "suspect"} in meeting
    assert {"kind": "amount", "value": "86000", "role": "loss"} in meeting
    assert {"kind": "qq", "value": "123456789", "role": "suspect"} in rows[ids["qq"]]["indicators"]
    # with a query too (the matching ids' path)
    out = io.StringIO()
    assert export_articles(arc, "jsonl", out, query=f"phone:{PHONE}") == 1
    (row,) = map(json.loads, out.getvalue().splitlines())
    assert row["id"] == ids["meeting"] and row["indicators"] == meeting


def test_csv_export_holds_the_indicators_as_one_json_cell(named):
    arc, ids = named
    out = io.StringIO()
    export_articles(arc, "csv", out)
    rows = {int(r["id"]): r for r in csv.DictReader(io.StringIO(out.getvalue()))}
    cell = rows[ids["meeting"]]["indicators"]
    assert cell.startswith("[")
    assert {"kind": "app", "value": APP, "role": "suspect"} in json.loads(cell)
    assert json.loads(rows[ids["invest"]]["indicators"])  # every row has the column


def test_csv_indicator_cell_keeps_the_formula_guard(sqlite_archive, monkeypatch):
    """A cell is defused after the JSON is written: were it ever to start with ``=``
    (the guard sees the final text), it gets the apostrophe."""
    from types import SimpleNamespace

    import search.export as export

    with sqlite_archive.session() as s:
        store_document(s, _doc("https://d.example/4", "t", MEETING, "中国网", 2, []))
        s.commit()
    monkeypatch.setattr(export, "json", SimpleNamespace(dumps=lambda v, **kw: "=HYPERLINK(1)"))
    out = io.StringIO()
    export_articles(sqlite_archive, "csv", out)
    (row,) = csv.DictReader(io.StringIO(out.getvalue()))
    assert row["indicators"] == "'=HYPERLINK(1)"


# -- search ---------------------------------------------------------------------------


def test_indicator_fields_in_the_query_language(named):
    arc, ids = named
    assert hit_ids(arc, f"phone:{PHONE}") == {ids["meeting"]}
    assert hit_ids(arc, "phone:+86 138-1234-5678".replace(" ", "")) == {ids["meeting"]}
    assert hit_ids(arc, f"app:{APP}") == {ids["meeting"], ids["qq"]}
    assert hit_ids(arc, f'app:"{APP}" NOT phone:{PHONE}') == {ids["qq"]}
    assert hit_ids(arc, "qq:123456789") == {ids["qq"]}
    assert hit_ids(arc, "amount:86000") == {ids["meeting"]}
    assert hit_ids(arc, "amount:86,000") == {ids["meeting"]}
    assert hit_ids(arc, f"url:http://{URL}/") == {ids["meeting"]}
    assert hit_ids(arc, "url:https://b.example/2") == {ids["qq"]}  # the article's own URL
    assert hit_ids(arc, "phone:13900000000") == set()
    assert hit_ids(arc, f"屏幕 app:{APP}") == {ids["meeting"]}  # words AND an indicator


def test_an_unknown_field_still_names_the_indicator_fields(named):
    arc, _ = named
    with pytest.raises(QueryError, match="bank_account"):
        search(arc, "iban:123")


def test_facets_list_the_top_values_per_kind(named):
    arc, _ = named
    facets = search(arc, "被骗", limit=10)["facets"]
    assert facets["app"] == {APP: 2}
    assert facets["phone"][PHONE] == 1 and facets["phone"]["13987654321"] == 1
    assert facets["qq"] == {"123456789": 1}
    assert set(facets) >= {"source", "site", "year", "fraud_type", "url", "wechat", "amount"}
    assert search(arc, "qq:123456789")["facets"]["phone"] == {}


def test_search_hits_carry_indicators(named):
    arc, _ids = named
    (hit,) = search(arc, "qq:123456789")["hits"]
    assert {"kind": "qq", "value": "123456789", "role": "suspect"} in hit["indicators"]


def test_an_index_without_indicator_fields_is_rebuilt(named):
    """Format 4: an index written before the indicator fields is rebuilt, not misread."""
    from search.schema import is_current

    arc, _ = named
    from search.indexer import open_index

    schema = open_index(arc).schema
    assert is_current(schema)
    schema.remove("i_phone")
    assert not is_current(schema)


# -- API and pages --------------------------------------------------------------------


@pytest.fixture
def web(named) -> tuple[TestClient, dict[str, int]]:
    arc, ids = named
    with TestClient(create_app(Settings(home=Path(arc.home)))) as client:
        yield client, ids


def test_api_indicators_lists_the_summary_rows(web):
    client, _ids = web
    resp = client.get("/api/indicators", params={"kind": "app"})
    assert resp.status_code == 200
    (row,) = resp.json()
    assert row["kind"] == "app" and row["value"] == APP and row["bulletins"] == 2
    assert row["first_seen"].startswith("2024-03-01") and row["last_seen"].startswith("2024-03-05")
    assert row["fraud_types"] == ["冒充客服", "冒充熟人"]
    phones = client.get("/api/indicators", params={"kind": "phone", "role": "official"}).json()
    assert [r["value"] for r in phones] == ["96110"]
    assert len(client.get("/api/indicators", params={"limit": 2}).json()) == 2
    assert client.get("/api/indicators", params={"kind": "", "role": ""}).status_code == 200


@pytest.mark.parametrize(
    ("path", "params", "words"),
    [
        ("/api/indicators", {"kind": "iban"}, ("kind", "phone")),
        ("/api/indicators", {"role": "victim"}, ("role", "suspect")),
        ("/api/indicators/iban/123", {}, ("kind", "phone")),
    ],
)
def test_api_bad_kind_or_role_is_400_one_line(web, path, params, words):
    client, _ = web
    resp = client.get(path, params=params)
    assert resp.status_code == 400
    error = resp.json()["error"]
    assert all(w in error for w in words) and "\n" not in error


def test_api_one_indicator_with_its_bulletins(web):
    client, ids = web
    got = client.get(f"/api/indicators/app/{APP}").json()
    assert got["summary"]["bulletins"] == 2
    assert [b["id"] for b in got["bulletins"]] == [ids["qq"], ids["meeting"]]  # newest first
    first = got["bulletins"][0]
    assert set(first) >= {"id", "title", "url", "source", "site", "published"}
    assert first["source"] == "中国网" and first["url"] == "https://b.example/2"
    url = client.get(f"/api/indicators/url/{URL}").json()  # a value with a slash
    assert [b["id"] for b in url["bulletins"]] == [ids["meeting"]]
    assert client.get("/api/indicators/phone/10000").status_code == 404


def test_api_articles_and_search_hits_carry_indicators(web):
    client, ids = web
    art = client.get(f"/api/articles/{ids['qq']}").json()
    assert {"kind": "qq", "value": "123456789", "role": "suspect"} in art["indicators"]
    res = client.get("/api/search", params={"q": f"app:{APP}"}).json()
    assert all(h["indicators"] for h in res["hits"]) and res["facets"]["app"] == {APP: 2}


def test_openapi_documents_the_indicator_shapes(web):
    client, _ = web
    spec = client.get("/openapi.json").json()
    assert "/api/indicators" in spec["paths"]
    assert "/api/indicators/{kind}/{value}" in spec["paths"]
    schemas = spec["components"]["schemas"]
    assert {"IndicatorOut", "IndicatorSummaryOut", "IndicatorDetailOut"} <= set(schemas)
    assert "indicators" in schemas["Hit"]["properties"]
    assert "indicators" in schemas["ArticleOut"]["properties"]


def _page(client: TestClient, path: str, status: int = 200) -> str:
    resp = client.get(path)
    assert resp.status_code == status, resp.text[:300]
    assert "<script" not in resp.text.lower()
    assert "script-src 'none'" in resp.headers["content-security-policy"]
    return resp.text


def test_indicators_page_lists_and_filters(web):
    client, _ = web
    html = _page(client, "/indicators")
    assert 'href="/indicators"' in html and "线索 Indicators" in html  # the nav link
    assert f'href="/indicators/phone/{PHONE}"' in html
    assert f'href="/indicators/url/{URL}"' in html  # the slash kept, a path
    assert "冒充客服" in html and "2024-03-01" in html
    only = _page(client, "/indicators?kind=qq")
    assert "123456789" in only and PHONE not in only
    official = _page(client, "/indicators?kind=phone&role=official")
    assert "96110" in official and PHONE not in official
    assert "role" in _page(client, "/indicators?role=victim", 400)


def test_indicator_page_lists_its_bulletins(web):
    client, ids = web
    html = _page(client, f"/indicators/phone/{PHONE}")
    assert f'href="/articles/{ids["meeting"]}"' in html and "冒充客服诱导共享屏幕" in html
    assert f'href="/articles/{ids["qq"]}"' not in html
    _page(client, "/indicators/phone/10000", 404)


def test_article_page_links_its_indicators(web):
    client, ids = web
    html = _page(client, f"/articles/{ids['meeting']}")
    assert f'href="/indicators/phone/{PHONE}"' in html
    assert "/indicators/app/%E4%BA%91%E4%BC%9A%E8%AE%AE" in html  # 云会议, quoted


def test_search_page_shows_indicator_facets(web):
    client, _ = web
    html = _page(client, "/?q=被骗")
    assert '<ul class="indicator-facet">' in html and APP in html

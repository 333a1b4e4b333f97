"""Indicators: what each bulletin names (phones, web addresses, apps, accounts, money),
extracted with their roles, stored with the article, listed by ``fanzha indicators`` and
backfilled by ``fanzha retag``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from archive import Archive, Document, store_document
from archive.extract.indicators import KINDS, extract_indicators
from archive.extract.indicators_eval import load_labelled, score
from archive.models import Article, Indicator
from tests.conftest import run

DATA = Path(__file__).parent / "data" / "indicators"
SET = DATA / "bulletins.jsonl"


def triples(text: str) -> set[tuple[str, str, str]]:
    return {(i.kind, i.value, i.role) for i in extract_indicators(text)}


@pytest.mark.parametrize("name", ["bulletins.jsonl", "heldout.jsonl"])
def test_the_labelled_sets_meet_the_goals(name):
    rows = load_labelled(DATA / name)
    assert len(rows) >= 40
    scores, roles = score(
        rows, lambda t: [(i.kind, i.value, i.role) for i in extract_indicators(t)], [*KINDS, "loss"]
    )
    for kind in ("phone", "url", "qq", "wechat", "bank_account"):
        assert scores[kind].precision >= 0.95 and scores[kind].recall >= 0.9, kind
    assert scores["app"].precision >= 0.9 and scores["app"].recall >= 0.8
    assert scores["loss"].precision >= 0.9 and scores["loss"].recall >= 0.85
    assert roles >= 0.9


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("李女士被骗8.6万元。", "86000"),
        ("共计被骗八万六千元。", "86000"),
        ("转账后发现被骗，损失1.98万。", "19800"),
        ("被骗走人民币20,000元。", "20000"),
        ("累计被骗260余万元。", "2600000"),
    ],
)
def test_amounts_are_yuan_as_numbers(text, value):
    assert ("amount", value, "loss") in triples(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("对方来电号码为+86 138-1234-5678。", "13812345678"),
        ("对方来电号码为０７５５－８６６６８８８８。", "075586668888"),  # full-width
        ("对方自称客服，电话(0755)86668888。", "075586668888"),
        ("冒用400-820-9988的号码。", "4008209988"),
    ],
)
def test_phones_are_digits_with_area_code_and_no_country_code(text, value):
    assert ("phone", value, "suspect") in triples(text)


def test_urls_apps_and_accounts_are_normalised():
    text = (
        "骗子发来链接HTTPS://Pay.Fake-Shop.COM/Order/12/?id=3，让其下载名为“雲會議”的APP，"
        "添加QQ：12345678和微信号：fake_kefu01，向卡号6222 0212 3456 7890 123转账。"
    )
    got = triples(text)
    assert ("url", "pay.fake-shop.com/Order/12", "suspect") in got  # the path keeps its case
    assert ("app", "云会议", "suspect") in got  # Traditional folded
    assert ("qq", "12345678", "suspect") in got
    assert ("wechat", "fake_kefu01", "suspect") in got
    assert ("bank_account", "6222021234567890123", "suspect") in got


def test_traditional_and_financial_numerals():
    got = triples(
        "受害人請致電110報警。其帳戶6228480012345678901被轉走五萬八千元，另被騙壹万贰仟元。"
    )
    assert {
        ("phone", "110", "official"),
        ("bank_account", "6228480012345678901", "suspect"),
        ("amount", "58000", "loss"),
        ("amount", "12000", "loss"),
    } <= got


def test_official_numbers_sites_and_apps():
    got = triples("如有疑问拨打96110或110报警，下载国家反诈中心APP，访问www.12377.cn举报。")
    assert {
        ("phone", "96110", "official"),
        ("phone", "110", "official"),
        ("app", "国家反诈中心", "official"),
        ("url", "www.12377.cn", "official"),
    } <= got


def test_negatives_are_not_indicators():
    text = (
        "2023年5月12日，张某（身份证号：320102198807154321）被刑拘，案号（2023）浙0106刑初512号，"
        "案件编号A3201052023051200123。今年以来共破获案件1.2万起，抓获嫌疑人3260名，"
        "同比下降23.5%，快递单号SF1402833367245，涉及110个小区。"
    )
    assert triples(text) == set()


def test_a_recovered_sum_is_not_a_loss():
    got = triples("民警成功止付冻结涉案资金18.3万元，为群众挽回损失1.98亿元。")
    assert got == {("amount", "183000", "other"), ("amount", "198000000", "other")}


BULLETIN = (
    "近日，市民李女士接到自称“京东客服”的电话，号码为021-61856790。李女士按对方要求下载"
    "“云会议”APP并开启屏幕共享，先后向对方账户转账，共被骗8.6万元。警方提醒：如有疑问请拨打96110。"
)


def doc(url: str, text: str = BULLETIN) -> Document:
    return Document(url=url, title="冒充客服诈骗", text=text, source_name="平安日报")


def stored(archive: Archive, url: str) -> set[tuple[str, str, str]]:
    with archive.session() as s:
        aid = s.scalar(select(Article.id).where(Article.url == url))
        rows = s.scalars(select(Indicator).where(Indicator.article_id == aid))
        return {(r.kind, r.value, r.role) for r in rows}


def test_indicators_are_stored_with_the_text_and_replaced_when_it_changes(archive):
    url = "https://example.cn/a/1.html"
    with archive.session() as s:
        store_document(s, doc(url))
    assert stored(archive, url) == {
        ("phone", "02161856790", "suspect"),
        ("app", "云会议", "suspect"),
        ("amount", "86000", "loss"),
        ("phone", "96110", "official"),
    }
    with archive.session() as s:
        store_document(
            s, doc(url, BULLETIN.replace("8.6万元", "9.2万元").replace("“云会议”", "“易会”"))
        )
    got = stored(archive, url)
    assert ("amount", "92000", "loss") in got and ("app", "易会", "suspect") in got
    assert ("amount", "86000", "loss") not in got and ("app", "云会议", "suspect") not in got


def test_imported_files_are_tagged_with_fraud_types(sqlite_archive, tmp_path):
    path = tmp_path / "b.txt"
    path.write_text("冒充客服诈骗\n\n" + BULLETIN, encoding="utf-8")
    from archive.importers.batch import import_paths

    import_paths(sqlite_archive, [path])
    with sqlite_archive.session() as s:
        types = s.scalar(select(Article.fraud_types))
    assert types, "an imported bulletin gets its fraud types like a crawled one"


def test_cli_lists_indicators_and_retag_backfills_them(cli, home, tmp_path):
    arc = Archive.open(home)
    with arc.session() as s:
        store_document(s, doc("https://a.cn/1.html"))
        store_document(s, doc("https://b.cn/2.html", BULLETIN.replace("8.6万元", "3万元")))
    with arc.session() as s:  # an archive from before indicators were kept
        s.execute(delete(Indicator))
    arc.close()
    empty = run(cli, "indicators", "--home", home, "--json")
    assert json.loads(empty.stdout)["count"] == 0
    res = run(cli, "retag", "--home", home, "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["indicators_changed"] == 2
    res = run(cli, "indicators", "--home", home, "--kind", "phone", "--json")
    data = json.loads(res.stdout)
    phone = next(r for r in data["indicators"] if r["value"] == "02161856790")
    assert phone["bulletins"] == 2 and phone["role"] == "suspect"
    assert phone["first_seen"] and phone["last_seen"]
    assert all(r["kind"] == "phone" for r in data["indicators"])
    loss = json.loads(run(cli, "indicators", "--home", home, "--role", "loss", "--json").stdout)
    assert {r["value"] for r in loss["indicators"]} == {"86000", "30000"}
    bad = run(cli, "indicators", "--home", home, "--kind", "fax")
    assert bad.exit_code == 2 and "unknown indicator kind" in bad.stderr
    assert "Traceback" not in bad.output

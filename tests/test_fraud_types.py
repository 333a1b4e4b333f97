"""Fraud types by short name: one resolver behind ``--type``, ``type:``, ``?type=``."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from archive.errors import UnknownFraudType
from archive.extract.fraud_types_eval import load_labelled, score
from archive.extract.relevance import classify, list_spans, load_model, resolve_type, taxonomy
from fanzha.config import Settings
from fanzha.web import create_app
from search.query import parse

from .conftest import run

LABELLED = Path(__file__).parent / "data" / "fraud_types" / "labelled.jsonl"
HELDOUT = LABELLED.with_name("heldout.jsonl")

ROMANCE = (
    "网恋对象竟是诈骗团伙：警方提醒谨防杀猪盘\n\n"
    "市民李女士在婚恋交友网站结识一名自称海外工程师的网友，两人网恋三个月后，"
    "对方推荐她在一个博彩平台下注，称稳赚不赔。李女士先后转账28万元，平台随即无法提现。"
    "民警提醒：网上交友切勿轻信对方推荐的投资或博彩平台，遇到可疑情况请拨打96110。\n"
)
TASKS = (
    "兼职刷单被骗5万元\n\n"
    "大学生小王在QQ群看到兼职刷单广告，称做任务即可获得佣金返利。"
    "前几单对方按时返还本金和佣金，随后要求垫付大额任务单，小王垫付5万元后被拉黑。"
    "警方提醒：刷单返利就是诈骗，不要轻信。\n"
)


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("杀猪盘", "网络婚恋交友(杀猪盘)"),
        ("網絡婚戀交友（殺豬盤）", "网络婚恋交友(杀猪盘)"),  # Traditional, full-width
        ("刷单", "刷单返利"),
        ("冒充公检法", "冒充公检法"),
        ("冒充客服", "冒充电商物流客服"),
        ("贷款", "虚假网络贷款"),
        ("投资理财", "虚假投资理财"),
        ("游戏交易", "网络游戏虚假交易"),
        ("征信", "虚假征信"),
        (" 通用 ", "电信网络诈骗(通用)"),
    ],
)
def test_short_names_resolve_to_the_canonical_type(typed, canonical):
    assert resolve_type(typed) == canonical


def test_every_type_resolves_by_its_own_name_and_aliases():
    model = load_model()
    for entry in taxonomy():
        assert resolve_type(entry["name"]) == entry["name"]
        for alias in entry["aliases"]:
            assert resolve_type(alias) == entry["name"]
    assert len(model.names) > 2 * len(model.types)


def test_unknown_type_is_one_line_naming_the_choices():
    with pytest.raises(UnknownFraudType) as err:
        resolve_type("外星人诈骗")
    msg = str(err.value)
    assert "'外星人诈骗'" in msg and "刷单返利" in msg and "\n" not in msg


def test_query_language_type_field_takes_aliases():
    assert parse("type:杀猪盘").text == "网络婚恋交友(杀猪盘)"
    assert parse('type:"冒充客服"').text == "冒充电商物流客服"
    with pytest.raises(UnknownFraudType):
        parse("诈骗 type:外星人")


@pytest.fixture
def indexed_home(tmp_path, cli):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "romance.txt").write_text(ROMANCE, encoding="utf-8")
    (folder / "tasks.txt").write_text(TASKS, encoding="utf-8")
    home = tmp_path / "home"
    assert run(cli, "import", folder, "--home", home).exit_code == 0
    assert run(cli, "index", "--home", home).exit_code == 0
    return home


def _titles(cli, home, *args):
    import json

    res = run(cli, "search", *args, "--home", home, "--json")
    assert res.exit_code == 0, res.stdout + res.stderr
    return [h["title"] for h in json.loads(res.stdout)["hits"]]


def test_cli_type_option_and_type_field_take_aliases(cli, indexed_home):
    assert _titles(cli, indexed_home, "诈骗", "--type", "杀猪盘") == [ROMANCE.split("\n")[0]]
    assert _titles(cli, indexed_home, "诈骗 type:刷单") == [TASKS.split("\n")[0]]
    assert _titles(cli, indexed_home, "诈骗", "--type", "网络婚恋交友(杀猪盘)") == [
        ROMANCE.split("\n")[0]
    ]
    for args in (("诈骗", "--type", "外星人"), ("诈骗 type:外星人",)):
        res = run(cli, "search", *args, "--home", indexed_home)
        assert res.exit_code == 2
        assert "unknown fraud type '外星人'" in res.stderr
        assert len(res.stderr.strip().splitlines()) == 1


def test_api_and_web_type_take_aliases_and_refuse_unknown(indexed_home):
    with TestClient(create_app(Settings(home=indexed_home))) as client:
        got = client.get("/api/search", params={"q": "诈骗", "type": "杀猪盘"}).json()
        assert [h["title"] for h in got["hits"]] == [ROMANCE.split("\n")[0]]
        bad = client.get("/api/search", params={"q": "诈骗", "type": "外星人"})
        assert bad.status_code == 400
        assert "unknown fraud type '外星人'" in bad.json()["error"]
        assert "\n" not in bad.json()["error"]
        bad = client.get("/api/search", params={"q": "诈骗 type:外星人"})
        assert bad.status_code == 400
        # the latest-articles listing of the search page filters by the resolved type too
        page = client.get("/", params={"type": "刷单"})
        assert page.status_code == 200 and TASKS.split("\n")[0] in page.text
        assert ROMANCE.split("\n")[0] not in page.text.split("Latest archived")[-1]
        assert client.get("/", params={"type": "外星人"}).status_code == 400


# -- what a bulletin is about (archive.extract.relevance) -----------------------------

LIST_ONLY = (
    "警方提示：常见的诈骗类型有刷单返利、虚假投资理财、冒充公检法、网络婚恋交友等。"
    "请牢记不轻信、不透露、不转账，遇到可疑情况拨打96110或报警。"
)


def test_a_sentence_listing_types_tags_none_of_them():
    r = classify("警方提醒：谨防电信网络诈骗", LIST_ONLY)
    assert r.relevant  # the list still says the bulletin is about fraud
    assert r.fraud_types == ["电信网络诈骗(通用)"], r.type_scores


def test_quoted_types_side_by_side_are_a_list_too():
    text = (
        "12381系统向潜在受害用户发送预警短信，提示用户可能面临“贷款”“刷单返利”"
        "“冒充公检法”“杀猪盘”等9类高发电信网络诈骗，请提高警惕，不要转账。"
    )
    assert classify("涉诈预警短信", text).fraud_types == ["电信网络诈骗(通用)"]


def test_the_story_beside_a_list_is_still_tagged():
    r = classify("兼职刷单被骗", LIST_ONLY + TASKS)
    assert r.fraud_types == ["刷单返利"], r.type_scores


def test_list_spans_need_three_types():
    model = load_model()
    text = "骗子冒充快递客服，以理赔、退款为由诱导转账。"
    assert list_spans(model, text) == []
    text = "常见的有刷单返利、虚假网络贷款和冒充公检法。"
    ((a, b),) = list_spans(model, text)
    assert text[a:b] == "刷单返利、虚假网络贷款和冒充公检法"


def test_a_passing_mention_is_not_a_second_type():
    text = (
        "男子在境外网络赌博平台下注，起初赢钱并成功提现，后加大投入，平台以违规为由冻结账户。"
        "他为解冻又在网贷平台贷款充值，损失40万元。警方提醒：网络赌博参赌必输，谨防诈骗。"
    )
    r = classify("网络赌博“稳赚”？", text)
    assert r.fraud_types == ["虚假博彩/赌博"], r.type_scores
    assert r.type_scores["虚假网络贷款"] >= 4  # enough alone, not beside the main type


def test_a_story_in_its_types_own_words_is_relevant_without_a_word_for_fraud():
    text = (
        "王大爷接到陌生来电，对方自称公安局民警，称其涉嫌洗钱，出示了“逮捕令”，"
        "要求将存款转入安全账户接受资金清查。银行工作人员及时报警，民警成功劝阻。"
    )
    r = classify("自称警官来电 老人险被骗", text.replace("被骗", ""))
    assert r.relevant and r.fraud_types == ["冒充公检法"], (r.matched, r.type_scores)


def test_the_seeds_get_only_what_they_are_about(cli, tmp_path, seeds):
    from sqlalchemy import select

    from archive import Archive
    from archive.models import Article

    home = tmp_path / "seedhome"
    assert run(cli, "import", seeds, "--home", home).exit_code == 0
    arc = Archive.open(home)
    with arc.session() as s:
        tags = [a.fraud_types for a in s.scalars(select(Article))]
    arc.close()
    # two reposts of one bulletin on the state's anti-fraud tools; the “贷款”“刷单返利”
    # “冒充公检法”“杀猪盘” it lists are not what it is about
    assert tags == [["电信网络诈骗(通用)"], ["电信网络诈骗(通用)"]]


def test_tags_on_the_hand_labelled_set():
    """48 bulletins written and labelled before the classifier ran on them, then used
    to design the rules (``bench/fraud_types.py``): all tags P 0.975 R 0.929 (2026-12-07)."""
    s = score(load_labelled(LABELLED))
    assert s.micro.precision >= 0.95 and s.micro.recall >= 0.9, s.misses
    assert s.specific.precision >= 0.95 and s.specific.recall >= 0.9, s.misses


def test_tags_on_the_held_out_set():
    """25 bulletins written blind after the rules were fixed, scored once: P 1.0 but
    R 0.429 (2026-12-07); 11 of the 12 misses are bulletins judged off-topic (their
    wording is outside the phrase model's), not wrong types. Floors, not goals."""
    s = score(load_labelled(HELDOUT))
    assert s.micro.precision >= 0.95 and s.micro.recall >= 0.4, s.misses
    assert s.not_relevant <= 11


def test_export_query_type_field_takes_aliases(cli, indexed_home):
    import json

    res = run(cli, "export", "--query", "type:杀猪盘", "--home", indexed_home)
    assert res.exit_code == 0, res.stderr
    rows = [json.loads(line) for line in res.stdout.splitlines()]
    assert [r["fraud_types"] for r in rows] == [["网络婚恋交友(杀猪盘)"]]
    res = run(cli, "export", "--query", "type:外星人", "--home", indexed_home)
    assert res.exit_code == 2 and "unknown fraud type '外星人'" in res.stderr


def test_retag_replaces_tags_from_an_older_taxonomy(cli, tmp_path, seeds):
    """An archive tagged before the enumeration rule (the seeds got the three types
    their list names) is put right by ``fanzha retag``, then found by the new type."""
    import json

    from sqlalchemy import select

    from archive import Archive
    from archive.models import Article

    home = tmp_path / "old"
    assert run(cli, "import", seeds, "--home", home).exit_code == 0
    arc = Archive.open(home)
    with arc.session() as s:
        for a in s.scalars(select(Article)):
            a.fraud_types = ["网络婚恋交友(杀猪盘)", "刷单返利", "冒充公检法"]
    arc.close()
    assert run(cli, "index", "--home", home).exit_code == 0
    assert _titles(cli, home, "一证通查", "--type", "杀猪盘", "--all-copies")
    res = run(cli, "retag", "--home", home, "--json")
    assert res.exit_code == 0 and json.loads(res.stdout)["types_changed"] == 2
    assert run(cli, "index", "--home", home).exit_code == 0
    assert _titles(cli, home, "一证通查", "--type", "杀猪盘", "--all-copies") == []
    assert len(_titles(cli, home, "一证通查", "--type", "通用", "--all-copies")) == 2

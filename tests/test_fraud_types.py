"""Fraud types by short name: one resolver behind ``--type``, ``type:``, ``?type=``."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from archive.errors import UnknownFraudType
from archive.extract.relevance import load_model, resolve_type, taxonomy
from fanzha.config import Settings
from fanzha.web import create_app
from search.query import parse

from .conftest import run

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

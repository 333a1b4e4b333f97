"""The relevance model: realistic anti-fraud bulletins in, hard negatives out, types tagged."""

from __future__ import annotations

import pytest

from archive.extract.relevance import classify, load_model, taxonomy

POSITIVES = [
    (
        "警惕刷单返利诈骗！民警提醒",
        "近日，市民王女士在网上看到一则兼职刷单广告，对方称只需点赞做任务即可获得佣金。王女士按要求垫付资金后，"
        "对方以操作失误为由要求继续转账，共被骗3万余元。警方提醒：所有刷单都是诈骗，请下载国家反诈中心APP。",
        "刷单返利",
    ),
    (
        "接到“公安局”电话说你涉嫌洗钱？是骗局！",
        "市民李先生接到自称公安局民警的电话，称其涉嫌洗钱，要求将资金转入安全账户配合调查。李先生险些被骗，"
        "幸亏银行工作人员及时劝阻。",
        "冒充公检法",
    ),
    (
        "“高收益”投资理财平台？小心杀猪盘",
        "张女士在婚恋交友网站认识一名“成功人士”，对方以内部消息为由，带她在一个投资理财平台充值，起初小额获利，"
        "大额投入后无法提现，才发现被骗。民警提醒：网上交友切勿轻信所谓高回报投资。",
        "网络婚恋交友(杀猪盘)",
    ),
    (
        "快递丢了要理赔？当心冒充客服诈骗",
        "不法分子冒充快递客服，称受害人的快递丢失，可以双倍理赔，随后诱导其下载APP并开启屏幕共享，"
        "盗取银行卡验证码后转走存款。警方提醒：理赔请通过官方渠道，不要轻信陌生来电。",
        "冒充电商物流客服",
    ),
    (
        "詐騙集團冒充檢察官 民眾險被騙",
        "警方提醒，詐騙集團冒充公檢法人員來電，聲稱民眾涉嫌洗錢，要求匯款至安全帳戶，切勿轉帳。",
        "冒充公检法",
    ),
]

NEGATIVES = [
    (
        "男子盗窃电动车被抓",
        "近日，某派出所民警接到群众报警称其电动车被盗。民警调取监控，很快将嫌疑人抓获。"
        "嫌疑人对盗窃事实供认不讳，目前已被依法刑事拘留。",
    ),
    (
        "国足2比1逆转取胜",
        "在昨晚进行的比赛中，国足在落后一球的情况下连进两球，最终2比1逆转取胜。主教练赛后表示，球队表现出了顽强的斗志。",
    ),
    (
        "A股三大指数收涨 机构：长期投资价值凸显",
        "今日A股三大指数集体收涨，北向资金净流入。分析人士认为，当前市场估值处于历史低位，长期投资价值凸显，"
        "投资者可关注高股息板块的投资机会，理财产品收益率有所回升。",
    ),
    (
        "某公司高管合同诈骗案开庭",
        "被告人利用签订合同之机，骗取对方财物，涉嫌合同诈骗罪，法院今日开庭审理此案。",
    ),
    ("", ""),
    ("诈骗", ""),
]


@pytest.mark.parametrize(("title", "text", "kind"), POSITIVES, ids=[p[2] for p in POSITIVES])
def test_positives_are_relevant_and_typed(title, text, kind):
    r = classify(title, text)
    assert r.relevant, r.matched
    assert r.fraud_types[0] == kind, r.type_scores
    assert r.score >= load_model().threshold


@pytest.mark.parametrize(("title", "text"), NEGATIVES, ids=[n[0] or "empty" for n in NEGATIVES])
def test_hard_negatives_are_not_relevant(title, text):
    r = classify(title, text)
    assert not r.relevant, r.matched
    assert r.fraud_types == []


def test_one_word_is_not_enough_but_title_counts_more():
    body = "警方提醒市民注意防范，遇到可疑情况及时报警。"
    assert not classify("", "诈骗" + body).relevant
    in_body = classify("社区活动", "电信网络诈骗案件多发，" + body)
    in_title = classify("电信网络诈骗案件多发", body)
    assert in_title.score > in_body.score


def test_general_type_when_no_kind_matches():
    r = classify(
        "防范电信网络诈骗宣传进社区",
        "民警向居民讲解电信网络诈骗的防范知识，提醒大家不要轻信陌生来电，不转账，下载国家反诈中心APP。",
    )
    assert r.relevant
    assert r.fraud_types == ["电信网络诈骗(通用)"]


def test_taxonomy_is_documented():
    names = [t["name"] for t in taxonomy()]
    for required in (
        "刷单返利",
        "虚假投资理财",
        "虚假网络贷款",
        "冒充电商物流客服",
        "冒充公检法",
        "网络婚恋交友(杀猪盘)",
        "虚假征信",
        "网络游戏虚假交易",
        "冒充领导熟人",
        "虚假购物服务",
        "冒充军警购物",
        "注销校园贷/百万保障",
        "虚假中奖/兼职",
        "电信网络诈骗(通用)",
    ):
        assert required in names
    assert all(t["description"] for t in taxonomy())


def test_as_json_shape():
    r = classify(*POSITIVES[0][:2])
    assert set(r.as_json()) == {"score", "relevant", "fraud_types", "matched"}
    matched = r.as_json()["matched"]
    assert matched["刷单返利"] == 1 and matched["刷单"] >= 1  # longest phrase first

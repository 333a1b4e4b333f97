"""The difference engine as a pure library: text in, changes out."""

from __future__ import annotations

import opencc
import pytest

from archive.diff import diff_meta, diff_texts, similarity

BASE = (
    "近日，西湖区公安分局接到一起刷单返利类电信网络诈骗警情。\n"
    "3月2日，王女士在浏览短视频平台时看到一则兼职广告，随即添加了对方的联系方式。"
    "对方让她下载“优品购”并注册账号，称每完成一单即可获得佣金。\n"
    "王女士先后完成了5笔小额订单，均按时收到了本金和返利，逐渐放松了警惕。\n"
    "随后对方以“联单任务”为由，要求她一次性垫付46000元。\n"
    "警方提醒：所有刷单都是诈骗。"
)


def ops(changes):
    return [(c["op"], c["a"], c["b"], c["kind"]) for c in changes]


def test_identical_texts_have_no_changes():
    assert diff_texts(BASE, BASE) == []
    assert similarity([], BASE, BASE) == 1.0


def test_punctuation_spacing_and_full_width_are_not_changes():
    other = BASE.replace("，", ",").replace("46000", "４６０００").replace("。", "。 ")
    assert diff_texts(BASE, other) == []


def test_traditional_copy_is_not_a_change_of_every_character():
    hk = opencc.OpenCC("s2t").convert(BASE)
    assert hk != BASE
    assert diff_texts(BASE, hk) == []


def test_small_edits_are_separate_changes_widened_to_words():
    other = BASE.replace("5笔", "15笔").replace("短视频平台", "直播平台").replace("随即", "立即")
    changes = diff_texts(BASE, other)
    assert ops(changes) == [
        ("replace", "短视频平台", "直播平台", "body"),
        ("replace", "随即添加", "立即添加", "body"),
        ("replace", "5笔小额", "15笔小额", "body"),
    ]
    first = changes[0]
    assert BASE[first["a_start"] : first["a_end"]] == "短视频平台"
    assert other[first["b_start"] : first["b_end"]] == "直播平台"
    assert first["before"].endswith("在浏览") and first["after"].startswith("时看到")


def test_header_signoff_and_body_kinds():
    other = "转载：杭州公安\n来源：微信公众号\n" + BASE + "\n编辑：张伟\n审核：李勇"
    changes = diff_texts(BASE, other)
    assert ops(changes) == [
        ("insert", "", "转载：杭州公安\n来源：微信公众号", "header"),
        ("insert", "", "编辑：张伟\n审核：李勇", "signoff"),
    ]
    assert [c["paragraphs"] for c in changes] == [2, 2]


def test_dropped_paragraph_and_moved_paragraph():
    paras = BASE.split("\n")
    dropped = "\n".join(paras[:2] + paras[3:])
    (change,) = diff_texts(BASE, dropped)
    assert (change["op"], change["kind"], change["paragraphs"]) == ("delete", "body", 1)
    assert change["a"] == paras[2]
    moved = "\n".join([paras[0], paras[2], paras[1], paras[3], paras[4]])
    changes = diff_texts(BASE, moved)
    assert {c["op"] for c in changes} == {"insert", "delete"}
    assert all(c.get("moved") for c in changes)


def test_merged_paragraphs_are_not_a_change():
    paras = BASE.split("\n")
    merged = "\n".join([paras[0], paras[1] + paras[2], *paras[3:]])
    assert diff_texts(BASE, merged) == []


def test_a_new_lead_and_a_different_header_are_two_changes():
    a = "来源：某某公安\n" + BASE
    b = "人民网3月5日电（记者 王晓）" + BASE
    changes = diff_texts(a, b)
    assert ops(changes) == [
        ("delete", "来源：某某公安", "", "header"),
        ("insert", "", "人民网3月5日电（记者 王晓）", "header"),
    ]


@pytest.mark.parametrize(("a", "b"), [("", ""), ("", BASE), (BASE, ""), ("。。。", "，")])
def test_empty_and_punctuation_only_texts(a, b):
    changes = diff_texts(a, b)
    if a.strip("。，") == b.strip("。，"):
        assert changes == []
    else:
        assert len(changes) == 1 and changes[0]["op"] in ("insert", "delete")


def test_metadata_differences():
    a = {"title": "甲", "published": "2022-05-10", "source": "中国网", "author": None, "images": 0}
    b = {**a, "title": "乙", "images": 15}
    assert diff_meta(a, b) == {"title": {"a": "甲", "b": "乙"}, "images": {"a": 0, "b": 15}}
    assert diff_meta(a, dict(a)) == {}

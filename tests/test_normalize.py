from archive.normalize import clean_markup, join_broken_lines, normalize, split_sentences


def test_line_broken_inside_date_is_joined():
    assert (
        join_broken_lines("2019年11月8\n\n日，96110预警劝阻专线")
        == "2019年11月8日，96110预警劝阻专线"
    )


def test_line_broken_after_comma_is_joined():
    text = "云闪付试点“一键查卡”功能，\n\n打造统一查询途径。"
    assert join_broken_lines(text) == "云闪付试点“一键查卡”功能，打造统一查询途径。"


def test_heading_lines_stay_apart():
    text = "国家反诈中心APP\n——累计向群众预警2.3亿次\n2021年3月15日，公安部推出。"
    assert join_broken_lines(text).split("\n") == text.split("\n")


def test_finished_sentences_stay_apart():
    assert join_broken_lines("第一句话结束了。\n第二句话。") == "第一句话结束了。\n第二句话。"


def test_line_starting_with_closing_punctuation_joins():
    assert join_broken_lines("请及时接听\n。谨防上当") == "请及时接听。谨防上当"


def test_nfkc_and_punctuation_unified():
    assert normalize("ＡＰＰ下载，１２３８１！") == "APP下载,12381!"
    assert normalize("“反诈”——「防骗」") == '"反诈"--"防骗"'


def test_whitespace_between_chinese_dropped_latin_kept():
    assert normalize("中 国 网  记者\u3000张艳玲") == "中国网记者张艳玲"
    assert normalize("国家反诈中心 APP is good") == "国家反诈中心APP is good"


def test_normalize_keeps_paragraphs_and_drops_blank_lines():
    assert normalize("第一段。\n\n \n第二段。") == "第一段。\n第二段。"


def test_markdown_and_images_taken_apart():
    raw = (
        "#**五大反诈利器**\n"
        "![]({{site.baseurl}}/postimg/a.jpeg)\n"
        "> 转载：某公安\n"
        "[链接文字](https://example.com)很重要。\n"
        '<p>段落<img src="/b.png">二</p>'
    )
    cleaned = clean_markup(raw)
    assert cleaned.images == ["/postimg/a.jpeg", "/b.png"]
    assert cleaned.text.split("\n") == [
        "五大反诈利器",
        "转载：某公安",
        "链接文字很重要。",
        "段落",
        "二",
    ]
    assert "{{" not in cleaned.text and "**" not in cleaned.text


def test_html_entities_unescaped():
    assert clean_markup("<p>A&amp;B &lt;tag&gt;</p>").text == "A&B <tag>"


def test_split_sentences():
    assert split_sentences("一。二！三？\n四") == ["一。", "二！", "三？", "四"]
    assert split_sentences("他说：“走。”然后") == ["他说：“走。”", "然后"]

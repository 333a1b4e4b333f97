"""Synthetic anti-fraud bulletins for the search tests and ``bench/search.py``.

Realistic enough to exercise a Chinese index: police-bulletin sentences built from
many templates and slot values (cities, names, amounts, apps, hotlines), Latin words
and numbers inside Chinese text (``APP``, ``96110``), punctuation of both widths,
bodies of about 1-3 KB, several fraud types, sources and years, and reposts of one
story with small edits (a header, a changed word, a dropped paragraph).
Deterministic for a given seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

CST = timezone(timedelta(hours=8))

FRAUD_TYPES = {
    "刷单返利": ["刷单", "返利", "做任务", "垫付", "佣金", "点赞关注"],
    "冒充客服": ["客服", "退款", "快递丢失", "商品质量问题", "理赔", "关闭百万保障"],
    "虚假投资理财": ["投资", "理财", "高额回报", "导师", "内幕消息", "数字货币"],
    "冒充公检法": ["公安机关", "涉嫌洗钱", "安全账户", "通缉令", "检察院", "资金核查"],
    "虚假网络贷款": ["贷款", "无抵押", "解冻费", "保证金", "征信", "流水"],
    "网络游戏交易": ["游戏装备", "账号交易", "低价充值", "皮肤", "点券"],
    "冒充熟人": ["冒充领导", "老同学", "借钱", "换了新号码", "急用钱"],
    "注销校园贷": ["注销账户", "校园贷", "影响征信", "学生账户", "清空额度"],
}
SOURCES = [
    ("中国网", "news"),
    ("人民网", "news"),
    ("新华网", "news"),
    ("央视新闻", "news"),
    ("澎湃新闻", "news"),
    ("公安部刑侦局", "police"),
    ("国家反诈中心", "police"),
    ("北京市公安局", "police"),
    ("上海警方", "police"),
    ("深圳公安", "police"),
    ("平安江苏", "wechat"),
    ("反诈前线", "wechat"),
    ("警民通", "blog"),
]
CITIES = [
    "北京",
    "上海",
    "广州",
    "深圳",
    "杭州",
    "南京",
    "成都",
    "重庆",
    "武汉",
    "西安",
    "长沙",
    "郑州",
    "济南",
    "青岛",
    "苏州",
    "无锡",
    "宁波",
    "厦门",
    "福州",
    "合肥",
    "南昌",
    "昆明",
    "贵阳",
    "南宁",
    "海口",
    "沈阳",
    "大连",
    "长春",
    "哈尔滨",
    "石家庄",
    "太原",
    "呼和浩特",
    "兰州",
    "西宁",
    "银川",
    "乌鲁木齐",
    "拉萨",
    "天津",
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国志宏海燕飞雪梅琳晨宇浩然子涵欣怡思远佳豪梓萱俊杰"
APPS = [
    "APP",
    "QQ",
    "微信",
    "支付宝",
    "抖音",
    "快手",
    "淘宝",
    "闲鱼",
    "WiFi",
    "Zoom",
    "Telegram",
    "云闪付",
]
HOTLINES = ["96110", "110", "12381", "12321", "400-820-8820", "95588"]
PLACES = [
    "派出所",
    "刑警大队",
    "反诈中心",
    "社区",
    "银行网点",
    "营业厅",
    "学校",
    "医院",
    "商场",
    "地铁站",
    "写字楼",
    "出租屋",
    "工业园",
    "菜市场",
]
ROLES = [
    "民警",
    "辅警",
    "社区干部",
    "银行工作人员",
    "志愿者",
    "网格员",
    "辅导员",
    "快递员",
    "出租车司机",
]
VICTIMS = [
    "市民",
    "大学生",
    "退休教师",
    "宝妈",
    "个体户",
    "公司财务",
    "外卖骑手",
    "程序员",
    "护士",
    "老人",
    "高三学生",
    "务工人员",
]
VERBS = [
    "添加",
    "下载",
    "点击",
    "转账",
    "扫码",
    "登录",
    "输入",
    "提供",
    "共享屏幕",
    "开通",
    "购买",
    "充值",
]
ADJ = ["所谓的", "虚假的", "陌生的", "来历不明的", "境外的", "高仿的", "冒牌的", "可疑的"]
THINGS = [
    "链接",
    "二维码",
    "验证码",
    "银行卡",
    "身份证",
    "会议软件",
    "投资平台",
    "贷款平台",
    "兼职群",
    "客服电话",
    "网站",
    "安装包",
]

SENTENCES = [
    "近日，{city}市民{name}接到一个自称{role}的电话，对方称其{thing}存在异常，要求其{verb}{adj}{thing}。",
    "{name}按照对方提示{verb}了{app}，随后被骗{amount}元。",
    "警方提示：凡是要求{verb}{thing}的，都是诈骗！",
    "{date}，{city}警方成功破获一起{ftype}诈骗案，抓获犯罪嫌疑人{n}名，涉案金额{amount}余元。",
    "据{role}介绍，此类诈骗的常见话术是“{kw}”“{kw2}”，受害人往往信以为真。",
    "如遇可疑情况，请立即拨打{hotline}反诈专线咨询或报警。",
    "接到{hotline}来电时请及时接听，这是反诈中心在提醒您防范诈骗。",
    "{city}{place}的{role}及时发现并劝阻了这起诈骗，为群众挽回损失{amount}元。",
    "骗子通过{app}发布{adj}{kw}信息，诱导{victim}{verb}{thing}。",
    "“我以为是正规平台，没想到是骗局。”{victim}{name}事后懊悔地说。",
    "公安机关提醒广大群众，不轻信、不透露、不转账，守护好自己的“钱袋子”。",
    "在此提醒：下载国家反诈中心APP，开启来电预警功能，可以有效识别诈骗电话。",
    "截至{year}年{month}月，{city}共发生{ftype}类案件{n}起，同比下降{pct}%。",
    "一证通查服务可以查询本人名下的手机号码，发现异常及时处理。",
    "嫌疑人先以{kw}为名取得信任，再以{kw2}为由要求{victim}{verb}{thing}。",
    "{name}回忆，对方在{app}上发来一个{thing}，让其填写银行卡号和{thing2}。",
    "经查，该团伙长期盘踞境外，利用{app}和{thing}实施{ftype}诈骗，受害人遍布{n}个省份。",
    "反诈{role}走进{place}，向{victim}讲解{ftype}诈骗的识别方法。",
    "{city}市公安局刑侦支队联合{city2}警方，辗转{n}地，将{n2}名嫌疑人全部抓获归案。",
    "据统计，{year}年以来，全国公安机关共侦破电信网络诈骗案件{big}万起。",
    "如果有人以{kw}为由要求您{verb}{thing}，请务必提高警惕。",
    "{victim}{name}在{app}上认识了一名自称“{kw}”的网友，对方推荐其在某平台{verb}。",
    "起初，{name}小额投入获得了{pct}元收益，随后追加投入{amount}元后平台无法提现。",
    "警方在{place}设置宣传点，发放《防范电信网络诈骗宣传手册》{n}余份。",
    "请牢记“三不一多”原则：未知链接不点击，陌生来电不轻信，个人信息不透露，转账汇款多核实。",
    "本案中，犯罪嫌疑人{name}对其{ftype}的犯罪事实供认不讳，目前已被依法刑事拘留。",
    "{date}上午，{victim}{name}来到{place}，称自己在网上被骗了{amount}元。",
    "从作案手法看，{ftype}诈骗呈现出专业化、链条化、跨境化的特点。",
    "民警提醒，正规{kw}不会要求先交{kw2}，更不会让您转账到所谓的安全账户。",
    "该案的侦破，有力打击了{ftype}犯罪的嚣张气焰，维护了人民群众的财产安全。",
]
HEADERS = [
    "点击蓝字关注我们",
    "来源：{source}",
    "转自：{source}微信公众号",
    "本文转载自{source}，如有侵权请联系删除",
]


@dataclass
class FakeArticle:
    url: str
    title: str
    text: str
    source: str
    kind: str
    published: datetime
    fraud_types: list[str] = field(default_factory=list)
    story: int = 0


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))


def _sentence(rng: random.Random, ftype: str, when: datetime) -> str:
    kws = FRAUD_TYPES[ftype]
    tpl = rng.choice(SENTENCES)
    return tpl.format(
        city=rng.choice(CITIES),
        city2=rng.choice(CITIES),
        name=_name(rng),
        role=rng.choice(ROLES),
        thing=rng.choice(THINGS),
        thing2=rng.choice(THINGS),
        verb=rng.choice(VERBS),
        adj=rng.choice(ADJ),
        app=rng.choice(APPS),
        amount=rng.choice([rng.randint(1, 99) * 100, rng.randint(1, 999) * 1000, 18.8, 5200]),
        date=f"{when.month}月{rng.randint(1, 28)}日",
        ftype=ftype,
        n=rng.randint(2, 30),
        n2=rng.randint(2, 80),
        kw=rng.choice(kws),
        kw2=rng.choice(kws),
        hotline=rng.choice(HOTLINES),
        place=rng.choice(PLACES),
        victim=rng.choice(VICTIMS),
        year=when.year,
        month=rng.randint(1, 12),
        pct=rng.randint(3, 60),
        big=round(rng.uniform(10, 90), 1),
    )


def _body(rng: random.Random, ftype: str, when: datetime, extra: list[str]) -> str:
    target = rng.randint(350, 1000)  # characters: about 1-3 KB of UTF-8
    paras, size = [], 0
    while size < target:
        parts = [_sentence(rng, ftype, when) for _ in range(rng.randint(2, 5))]
        if extra and rng.random() < 0.6:
            parts.insert(rng.randrange(len(parts) + 1), rng.choice(extra))
        para = "".join(parts)
        paras.append(para)
        size += len(para)
    return "\n".join(paras)


def _title(rng: random.Random, ftype: str) -> str:
    kw = rng.choice(FRAUD_TYPES[ftype])
    return rng.choice(
        [
            f"警惕！{ftype}诈骗又出新花样",
            f"{rng.choice(CITIES)}警方破获一起{ftype}案",
            f"“{kw}”是骗局！{rng.choice(VICTIMS)}被骗{rng.randint(2, 90)}万元",
            f"反诈提醒：遇到{kw}，一定要当心",
            f"{rng.choice(CITIES)}一{rng.choice(VICTIMS)}遭遇{ftype}诈骗",
        ]
    )


def generate(
    n: int, seed: int = 4, repost_rate: float = 0.2, extra: list[str] | None = None
) -> list[FakeArticle]:
    """``n`` articles; about ``repost_rate`` of them are edited reposts of earlier ones.

    ``extra``: real sentences mixed into the bodies for a wider vocabulary (the bench
    passes sentences of the real pages when they are there).
    """
    extra = extra or []
    rng = random.Random(seed)
    out: list[FakeArticle] = []
    start = datetime(2018, 1, 1, tzinfo=CST)
    for i in range(n):
        if out and rng.random() < repost_rate:
            orig = out[rng.randrange(max(0, len(out) - 200), len(out))]
            src, kind = rng.choice(SOURCES)
            paras = orig.text.split("\n")
            if len(paras) > 2 and rng.random() < 0.5:
                paras.pop(rng.randrange(len(paras)))
            header = rng.choice(HEADERS).format(source=src)
            text = "\n".join([header, *paras])
            if rng.random() < 0.5:
                text = text.replace("诈骗", "诈骗行为", 1)
            when = orig.published + timedelta(hours=rng.randint(1, 96))
            art = FakeArticle(
                url=f"https://example.org/{kind}/{i}.html",
                title=orig.title,
                text=text,
                source=src,
                kind=kind,
                published=when,
                fraud_types=list(orig.fraud_types),
                story=orig.story,
            )
        else:
            ftype = rng.choice(list(FRAUD_TYPES))
            src, kind = rng.choice(SOURCES)
            when = start + timedelta(minutes=rng.randint(0, 60 * 24 * 365 * 7))
            types = [ftype]
            if rng.random() < 0.2:
                types.append(rng.choice(list(FRAUD_TYPES)))
            art = FakeArticle(
                url=f"https://example.org/{kind}/{i}.html",
                title=_title(rng, ftype),
                text=_body(rng, ftype, when, extra),
                source=src,
                kind=kind,
                published=when,
                fraud_types=sorted(set(types)),
                story=i,
            )
        out.append(art)
    return out


def load(archive, articles: list[FakeArticle]) -> dict[str, int]:
    """Store the articles in the archive (one transaction); returns url -> article id."""
    from archive import Document, store_document

    ids = {}
    with archive.session() as s:
        for a in articles:
            doc = Document(
                url=a.url,
                title=a.title,
                text=a.text,
                source_name=a.source,
                source_kind=a.kind,
                published_at=a.published,
                fraud_types=a.fraud_types,
            )
            ids[a.url] = store_document(s, doc).article.id
    return ids

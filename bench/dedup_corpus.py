"""Generated anti-fraud bulletins with labelled reposts, for dedup evaluation and benchmarks.

``Corpus(seed).stories(n)`` writes police case bulletins from templates: a dateline
lead, a case told in sentences drawn (and filled in with names, places, sums, dates,
apps) from a pool per fraud type, the police's advice, and some of the standard
warnings every bulletin ends with (三不一多, 96110, 国家反诈中心APP). Different cases
of one fraud type share template sentences and boilerplate: the hard negatives.

``reposts(story)`` makes the copies other sites publish: an account header and a
sign-off, an editor's note, small edits (a figure, a word, a typo fixed), truncation,
reordered or merged paragraphs, a changed boilerplate tail, a Traditional-character
copy. Every article carries its ``story`` label.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache

CITIES = [
    ("吉林市", ["昌邑", "船营", "龙潭", "丰满"]),
    ("杭州市", ["西湖", "上城", "拱墅", "余杭"]),
    ("成都市", ["武侯", "锦江", "青羊", "金牛"]),
    ("南京市", ["鼓楼", "玄武", "秦淮", "建邺"]),
    ("郑州市", ["金水", "二七", "中原", "管城"]),
    ("长沙市", ["岳麓", "芙蓉", "天心", "开福"]),
    ("西安市", ["雁塔", "碑林", "莲湖", "未央"]),
    ("济南市", ["历下", "市中", "槐荫", "天桥"]),
    ("合肥市", ["蜀山", "包河", "庐阳", "瑶海"]),
    ("昆明市", ["五华", "盘龙", "官渡", "西山"]),
    ("福州市", ["鼓楼", "台江", "仓山", "晋安"]),
    ("南宁市", ["青秀", "兴宁", "江南", "西乡塘"]),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
TITLES = ["女士", "先生", "某", "某某"]
JOBS = [
    "大学生",
    "退休教师",
    "个体经营者",
    "公司职员",
    "宝妈",
    "外卖骑手",
    "会计",
    "护士",
    "程序员",
    "务工人员",
]
APPS = [
    "“优品购”",
    "“速借宝”",
    "“金牛理财”",
    "“聚星商城”",
    "“云图学堂”",
    "“安心贷”",
    "“趣游交易猫”",
    "“星辰投资”",
    "“蜜语交友”",
    "“惠享返利”",
    "“诚信客服”",
    "“极速征信”",
]
PLATFORMS = [
    "QQ群",
    "微信群",
    "短视频平台",
    "交友软件",
    "游戏平台",
    "购物网站",
    "招聘网站",
    "直播间",
]

# Per fraud type: titles, case sentences (filled with the fields below) and advice.
TYPES: dict[str, dict[str, list[str]]] = {
    "刷单返利": {
        "title": [
            "刷单返利又一例！{city}一{job}被骗{money}元",
            "警惕！“刷单返利”骗局再现{district}",
            "{name}兼职刷单，{days}天被骗{money}元",
        ],
        "case": [
            "{date}，{name}在浏览{platform}时看到一则“动动手指日赚三百”的兼职广告，随即添加了对方的联系方式。",
            "对方自称是某电商平台的“派单员”，让{name}下载{app}并注册账号，称每完成一单即可获得佣金。",
            "{name}按要求先后完成了{n}笔小额订单，均按时收到了本金和{rebate}元返利，逐渐放松了警惕。",
            "随后“派单员”以“联单任务”为由，要求{name}一次性垫付{money}元，并称任务完成后本金和佣金一并返还。",
            "当{name}提出提现时，对方又以“操作失误”“账户冻结”等理由要求继续转账“解冻”。",
            "察觉被骗后，{name}于{date2}到{district}派出所报警，民警立即开展止付工作，成功冻结涉案资金{frozen}元。",
            "经查，该平台为境外诈骗团伙搭建的虚假网站，所谓“佣金”不过是骗取信任的诱饵。",
            "目前，{district}公安分局已对此案立案侦查，案件正在进一步侦办中。",
            "据{name}回忆，对方在聊天中多次发送其他“学员”提现成功的截图，让其深信不疑。",
            "短短{days}天时间，{name}通过银行卡向对方提供的{n}个账户累计转账{money}元。",
        ],
        "advice": [
            "所有刷单都是诈骗，凡是先垫付资金的兼职都要提高警惕。",
            "刷单本身就是违法行为，切莫贪图小利落入陷阱。",
            "网上兼职要通过正规渠道求职，不要轻信“高佣金”“零门槛”的宣传。",
        ],
    },
    "冒充公检法": {
        "title": [
            "“警官”来电称涉嫌洗钱？{city}{name}险些被骗{money}元",
            "冒充公检法诈骗又现{district}，民警紧急劝阻",
            "接到“公安局”电话后，{name}转出{money}元",
        ],
        "case": [
            "{date}，{name}接到一个自称“{city}公安局民警”的电话，对方准确说出了{name}的姓名和身份证号码。",
            "对方称{name}名下的一张银行卡涉嫌参与一起特大洗钱案件，需要配合调查，否则将被冻结全部资产。",
            "随后电话被转接至一名自称“检察官”的男子，对方通过视频向{name}展示了所谓的“逮捕令”和“通缉令”。",
            "“检察官”要求{name}对案情严格保密，不得告诉任何人，并让其下载{app}进行“资金清查”。",
            "在对方的诱导下，{name}将名下{n}张银行卡内的存款共计{money}元转入所谓的“安全账户”。",
            "{district}派出所民警接到预警信息后，立即上门劝阻，但{name}坚称自己在“配合办案”，拒不相信民警。",
            "民警耐心讲解冒充公检法诈骗的典型手法，经过{days}个小时的劝说，{name}终于醒悟，避免了更大损失。",
            "经核实，{name}此前已转出{frozen}元，民警已第一时间开展紧急止付。",
            "对方还要求{name}关闭手机其他应用，入住宾馆单独接受“远程审讯”，以切断其与外界的联系。",
            "办案民警介绍，此类骗局往往利用群众对执法机关的敬畏心理，层层施压，使受害人失去判断能力。",
        ],
        "advice": [
            "公检法机关不会通过电话、网络办案，更不存在所谓的“安全账户”。",
            "接到自称公检法人员的电话要求转账的，一律是诈骗。",
            "公安机关不会通过电话、QQ、微信等方式发送通缉令、逮捕令等法律文书。",
        ],
    },
    "虚假投资理财": {
        "title": [
            "“稳赚不赔”？{name}投资理财被骗{money}元",
            "{city}警方破获一起虚假投资理财诈骗案",
            "警惕“导师带单”，{district}一{job}被骗",
        ],
        "case": [
            "{date}，{name}被一名陌生人拉进一个名为“财富交流{n}群”的{platform}，群内每天都有“导师”分享股票行情。",
            "群里不断有成员晒出高额收益截图，称跟着“导师”操作一个月收益超过{rebate}%。",
            "在“助理”的推荐下，{name}下载了{app}，并先小额投入了{small}元，几天后便显示盈利并成功提现。",
            "尝到甜头后，{name}陆续追加投资，先后向平台指定账户转账{n}次，共计{money}元。",
            "当{name}想要提现时，平台却以“账户异常”“需缴纳保证金”等理由拒绝提现，随后“导师”将其拉黑。",
            "{name}于{date2}向{district}公安分局报案，民警迅速调取资金流向，冻结涉案账户{n}个。",
            "经查，该投资平台的后台数据均可由诈骗分子随意操控，所谓的“盈利”只是虚假数字。",
            "专案组民警历时{days}天，辗转多地，抓获为该团伙提供银行卡的犯罪嫌疑人{n}名。",
            "据了解，群内除{name}外，其余“群友”均为诈骗分子扮演的“托儿”。",
            "目前，追回的{frozen}元涉案资金已返还{name}，案件正在进一步侦办中。",
        ],
        "advice": [
            "投资理财要选择正规金融机构，凡是“稳赚不赔”“高收益无风险”的都是诈骗。",
            "不要轻信陌生人推荐的投资平台和“内幕消息”。",
            "“导师带单”“内部渠道”都是诈骗分子常用的话术。",
        ],
    },
    "网络贷款": {
        "title": [
            "急需用钱网上贷款，{name}反被骗走{money}元",
            "“无抵押秒到账”？{district}警方提醒谨防贷款诈骗",
            "{city}一{job}办理网贷被骗{money}元",
        ],
        "case": [
            "{date}，{name}因资金周转困难，在网上搜索贷款信息时看到一则“无抵押、低利息、秒到账”的广告。",
            "{name}按照对方发来的链接下载了{app}，填写个人信息后申请贷款{money}元，页面显示“审核通过”。",
            "正当{name}准备提现时，平台却提示“银行卡号填写错误，账户已被冻结”，需缴纳{small}元解冻金。",
            "客服称缴纳解冻金后即可连同贷款一起返还，{name}信以为真，按要求转账。",
            "随后对方又以“刷流水”“缴纳保险金”“提升信用额度”等名义，要求{name}多次转账共计{frozen}元。",
            "直到对方再次要求转账时，{name}才意识到被骗，随即到{district}派出所报警。",
            "民警介绍，此类诈骗往往针对急需用钱的群体，先以“门槛低”吸引受害人，再以各种名义收取费用。",
            "经调查，该贷款平台并无任何放贷资质，其服务器设在境外，目前案件正在侦办中。",
            "办案民警提示，正规贷款机构在放款前不会收取任何费用。",
            "{name}称，对方发来的“贷款合同”盖有公章，看起来十分正规，因此没有怀疑。",
        ],
        "advice": [
            "凡是贷款前要求先交费的，都是诈骗。",
            "办理贷款请到正规银行或持牌金融机构，切勿轻信网络贷款广告。",
            "不要点击陌生链接下载所谓的贷款APP。",
        ],
    },
    "冒充客服": {
        "title": [
            "“客服”来电说要退款？{name}被骗{money}元",
            "{district}一{job}遭遇冒充电商客服诈骗",
            "网购后接到“客服”电话，{city}{name}损失{money}元",
        ],
        "case": [
            "{date}，{name}接到一个自称某购物平台客服的电话，对方称{name}购买的商品存在质量问题，可以办理{rebate}元理赔。",
            "对方准确报出了{name}的订单号和收货地址，{name}便没有怀疑，按照指引添加了所谓的“理赔专员”。",
            "“理赔专员”以“办理退款”为由，要求{name}下载{app}并开启屏幕共享功能。",
            "随后对方称{name}的“信用分不足”，需要在借贷平台上借款来“提升信用”，退款后再一并返还。",
            "{name}按照提示在{n}个借贷平台上借款共计{money}元，并转入对方提供的账户。",
            "转账后，对方称操作失误，需要再次转账才能完成退款，{name}这才发觉被骗，随即报警。",
            "{district}派出所民警接警后立即开展工作，成功止付被骗资金{frozen}元。",
            "民警提醒，诈骗分子通过非法渠道获取购物信息，冒充客服实施诈骗，极具迷惑性。",
            "据了解，对方通过屏幕共享看到了{name}手机上的验证码，盗刷了其银行卡内的{small}元。",
            "这是{district}本月发生的第{n}起冒充客服类诈骗案件。",
        ],
        "advice": [
            "网购退款请通过官方平台办理，不要轻信电话中的“客服”。",
            "任何要求开启屏幕共享、提供验证码的“客服”都是诈骗。",
            "正规客服不会要求消费者通过借贷平台借款转账。",
        ],
    },
    "网络交友": {
        "title": [
            "网恋“男友”带你投资？{name}被骗{money}元",
            "“杀猪盘”又来了！{city}警方提醒",
            "{district}一{job}网上交友陷入“杀猪盘”",
        ],
        "case": [
            "{date}，{name}在{platform}上结识了一名自称在海外工作的“成功人士”，两人很快以恋人相称。",
            "对方每天嘘寒问暖，经常分享生活照片，{name}逐渐对其产生了信任。",
            "相识{days}天后，对方称自己掌握了某博彩网站的漏洞，可以稳赚不赔，并让{name}下载{app}。",
            "{name}先试着投入{small}元，很快就获利并提现成功，于是陆续投入了全部积蓄。",
            "截至案发，{name}先后向对方提供的账户转账{n}次，共计{money}元。",
            "当{name}无法提现并联系对方时，发现自己已被拉黑，这才意识到被骗，于{date2}报警。",
            "民警介绍，这类诈骗被称为“杀猪盘”，诈骗分子先“养猪”培养感情，再以投资为名“杀猪”。",
            "{district}公安分局已成立专案组，目前已冻结涉案资金{frozen}元。",
            "据{name}介绍，对方从未与其视频通话，每次都以“信号不好”“工作忙”为由推脱。",
            "诈骗分子使用的照片均盗用自网络，身份信息全部虚构。",
        ],
        "advice": [
            "网上交友要谨慎，凡是网友推荐投资、博彩的，都是诈骗。",
            "不要轻信未曾谋面的网友，更不要向其转账汇款。",
            "网恋对象带你赚钱，就是骗你钱财的开始。",
        ],
    },
    "游戏交易": {
        "title": [
            "买卖游戏装备，{name}被骗{money}元",
            "{city}一中学生买游戏账号被骗，家长损失{money}元",
            "警惕游戏交易诈骗！{district}警方发布提示",
        ],
        "case": [
            "{date}，{name}在{platform}看到有人低价出售热门游戏账号，便添加了卖家的联系方式。",
            "卖家称为保障交易安全，需要在{app}上完成交易，并发来了一个链接。",
            "{name}在该网站注册后支付了{small}元，随后网站提示“账户被冻结，需要缴纳保证金解冻”。",
            "客服称缴纳保证金后会连同购号款一起退还，{name}先后转账{n}次，共计{money}元。",
            "直到对方再次以“解冻失败”为由要求转账，{name}才发觉上当，在家人陪同下到{district}派出所报警。",
            "民警调查发现，该交易网站是诈骗分子仿冒正规平台搭建的钓鱼网站。",
            "据悉，{name}年仅{age}岁，使用的是父母的手机和银行卡进行支付。",
            "目前，{district}公安分局已冻结涉案资金{frozen}元，案件正在侦办中。",
            "民警提醒家长，要加强对孩子使用手机和网络的管理，保管好银行卡和支付密码。",
            "诈骗分子在得手后立即注销了联系账号，并将网站关闭。",
        ],
        "advice": [
            "游戏账号、装备交易要通过官方平台进行，不要私下交易。",
            "凡是要求缴纳“解冻费”“保证金”的交易网站都是诈骗。",
            "家长要看护好孩子，妥善保管支付密码。",
        ],
    },
    "冒充熟人": {
        "title": [
            "“领导”让你转账？{name}险些被骗{money}元",
            "冒充熟人诈骗频发，{city}警方提醒",
            "{district}一{job}遭“老板”微信诈骗{money}元",
        ],
        "case": [
            "{date}，{name}收到一个好友申请，对方头像和昵称均与其单位领导一致，{name}便通过了申请。",
            "对方称自己正在开会，不方便接电话，要求{name}先替他向一名“合作伙伴”转账{money}元。",
            "由于对方语气和平时领导说话的方式很像，{name}没有多想，随即按照要求转账。",
            "转账后不久，对方又以“还需支付保证金”为由要求{name}再转{small}元。",
            "{name}打电话向领导本人核实时，才发现上当受骗，随即到{district}派出所报警。",
            "民警接警后迅速开展止付，成功冻结被骗资金{frozen}元。",
            "民警介绍，诈骗分子通过各种途径获取单位人员信息，再冒充领导、熟人实施诈骗。",
            "{district}公安分局提醒，此类案件近期在辖区内已发生{n}起。",
            "对方还提前修改了个性签名和朋友圈，与{name}领导的真实账号几乎一模一样。",
            "据了解，{name}在{date2}也曾接到过类似信息，但当时没有理会。",
        ],
        "advice": [
            "凡是通过微信、QQ要求转账的“领导”“熟人”，务必电话或当面核实。",
            "不要轻信网络上“领导”“亲友”的借款请求。",
            "涉及资金往来，一定要多方核实身份。",
        ],
    },
}

BOILERPLATE = [
    "警方提醒：牢记“三不一多”原则：未知链接不点击、陌生来电不轻信、个人信息不透露、转账汇款多核实。",
    "如接到96110来电，说明您或您的家人正在遭遇电信网络诈骗，请务必及时接听，耐心听取民警劝阻。",
    "请广大群众下载安装“国家反诈中心”APP，开启来电预警功能，及时识别诈骗电话和短信。",
    "如不慎被骗或遇可疑情形，请注意保存证据，并立即拨打110报警。",
    "凡是自称公检法要求汇款的，凡是叫你汇款到“安全账户”的，凡是通知中奖、领奖要先交钱的，都是诈骗。",
    "反诈宣传人人参与，请将本文转发给身边的家人和朋友，共同筑牢反诈防线。",
]

HEADERS = [
    "点击蓝字 关注我们",
    "转载：{src}\n来源：微信公众号",
    "来源：{src}",
    "{src}\n微信号：{wx}\n功能介绍：全民参与，全民反诈",
    "本文转自{src}官方微信",
]
SIGNOFFS = [
    "来源：{src}\n编辑：{ed}\n审核：{rv}",
    "责任编辑：{ed}",
    "（来源：{src}）",
    "文字：{ed} 图片：{rv}",
    "来源｜{src}  编辑｜{ed}",
    "—END—",
]
NOTES = [
    "编者按：近期，电信网络诈骗案件多发，现将一起典型案例转发如下，请广大读者提高警惕。",
    "编者按：以案说法，警钟长鸣。本期为大家带来一起真实案例。",
    "【编者按】守护好群众的“钱袋子”是我们共同的责任，请看下面这起案例。",
]
SYNONYMS = [
    ("近日", "日前"),
    ("民警", "警方"),
    ("随即", "立即"),
    ("共计", "总计"),
    ("告诉", "透露"),
    ("随后", "之后"),
    ("发现", "发觉"),
    ("提醒", "提示"),
]
OUTLETS = ["中国网", "人民网", "新华网", "央视新闻", "中国警察网", "澎湃新闻", "法治日报"]


@lru_cache(maxsize=1)
def _s2t():
    import opencc

    return opencc.OpenCC("s2t")


@dataclass
class Article:
    """One generated copy: ``story`` is the label (same story = near-duplicates)."""

    url: str
    title: str
    text: str
    story: int
    source: str
    published: datetime
    kind: str = "original"  # original | repost variants, "+"-joined
    images: int = 0
    author: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict:
        return {
            "url": self.url,
            "title": self.title,
            "text": self.text,
            "story": self.story,
            "source": self.source,
            "published": self.published.isoformat(),
            "kind": self.kind,
            "images": self.images,
            "author": self.author,
        }


class Corpus:
    """A deterministic generator of bulletins and their reposts."""

    def __init__(self, seed: int = 0) -> None:
        self.rng = random.Random(seed)
        self.n_urls = 0

    # -- one bulletin ---------------------------------------------------------------
    def _fields(self) -> dict[str, str]:
        r = self.rng
        city, districts = r.choice(CITIES)
        district = r.choice(districts) + r.choice(["区", "区", "县"])
        d = datetime(2019, 1, 1) + timedelta(days=r.randrange(0, 1800))
        money = r.choice(
            [r.randrange(2, 99) * 1000 + r.randrange(0, 1000), r.randrange(1, 60) * 10000]
        )
        return {
            "city": city,
            "district": city + district,
            "name": r.choice(SURNAMES) + r.choice(TITLES),
            "job": r.choice(JOBS),
            "app": r.choice(APPS),
            "platform": r.choice(PLATFORMS),
            "date": f"{d.month}月{d.day}日",
            "date2": f"{d.month}月{min(28, d.day + r.randrange(1, 5))}日",
            "money": f"{money}",
            "small": f"{r.randrange(1, 50) * 100}",
            "frozen": f"{r.randrange(1, 90) * 1000 + r.randrange(0, 999)}",
            "rebate": f"{r.randrange(5, 90)}",
            "n": f"{r.randrange(2, 12)}",
            "days": f"{r.randrange(2, 30)}",
            "age": f"{r.randrange(10, 17)}",
            "_day": d.isoformat(),
        }

    def bulletin(self, story: int) -> Article:
        """An original police bulletin of a random fraud type."""
        r = self.rng
        ftype = r.choice(list(TYPES))
        t = TYPES[ftype]
        f = self._fields()
        lead = r.choice(
            [
                "近日，{district}公安分局接到一起{ftype}类电信网络诈骗警情。",
                "{city}公安局{date2}通报了一起{ftype}诈骗案件。",
                "为提高群众防骗意识，{district}公安分局现将近期发生的一起{ftype}诈骗典型案例通报如下。",
                "日前，{district}居民{name}遭遇{ftype}诈骗，被骗{money}元。",
            ]
        ).format(ftype=ftype, **f)
        case = r.sample(t["case"], r.randrange(5, 9))
        # keep the case in the order of the pool (a story has a beginning and an end)
        case.sort(key=t["case"].index)
        sentences = [s.format(**f) for s in case]
        paras = [lead]
        while sentences:
            k = r.randrange(1, 4)
            paras.append("".join(sentences[:k]))
            sentences = sentences[k:]
        advice = "".join(r.sample(t["advice"], r.randrange(1, 3)))
        paras.append(f"{r.choice(['警方提醒', '民警提醒', '反诈民警提示'])}：{advice}")
        paras += r.sample(BOILERPLATE, r.randrange(1, 4))
        published = datetime.fromisoformat(f["_day"]).replace(
            hour=r.randrange(7, 22), minute=r.randrange(60), tzinfo=UTC
        )
        src = f["district"] + "公安分局"
        title = r.choice(t["title"]).format(**f)
        return Article(self._url(src), title, "\n".join(paras), story, src, published)

    def _url(self, src: str) -> str:
        self.n_urls += 1
        return f"https://example.{self.n_urls % 97}.cn/fz/{self.n_urls:07d}.html"

    # -- reposts --------------------------------------------------------------------
    def repost(self, orig: Article, how: list[str]) -> Article:
        """A copy of ``orig`` changed in the ways named by ``how``."""
        r = self.rng
        paras = orig.text.split("\n")
        src = r.choice(
            [
                f"{r.choice(CITIES)[0]}反诈中心",
                r.choice(OUTLETS),
                f"{r.choice(SURNAMES)}警官说反诈",
                "平安" + r.choice(CITIES)[0][:2],
            ]
        )
        fields = {
            "src": src,
            "wx": f"fz{r.randrange(1000, 9999)}",
            "ed": r.choice(SURNAMES) + r.choice("伟芳娜敏静丽强磊军洋"),
            "rv": r.choice(SURNAMES) + r.choice("勇艳杰娟涛明超秀霞平"),
        }
        title = orig.title
        for h in how:
            if h == "edit":  # a few small edits: a synonym, a figure, a dropped character
                for _ in range(r.randrange(1, 4)):
                    i = r.randrange(len(paras))
                    a, b = r.choice(SYNONYMS)
                    if a in paras[i]:
                        paras[i] = paras[i].replace(a, b, 1)
                    elif len(paras[i]) > 20:
                        j = r.randrange(5, len(paras[i]) - 5)
                        paras[i] = paras[i][:j] + paras[i][j + 1 :]
            elif h == "truncate":  # only the first half or so of the paragraphs
                keep = max(2, int(len(paras) * r.uniform(0.45, 0.7)))
                paras = paras[:keep]
            elif h == "reorder" and len(paras) > 4:
                i = r.randrange(1, len(paras) - 2)
                paras[i], paras[i + 1] = paras[i + 1], paras[i]
            elif h == "merge" and len(paras) > 3:
                i = r.randrange(0, len(paras) - 1)
                paras[i : i + 2] = [paras[i] + paras[i + 1]]
            elif h == "note":
                paras.insert(0, r.choice(NOTES))
            elif h == "tail":  # the boilerplate at the end changed
                while paras and paras[-1] in BOILERPLATE:
                    paras.pop()
                paras += r.sample(BOILERPLATE, r.randrange(1, 4))
            elif h == "header":
                paras = r.choice(HEADERS).format(**fields).split("\n") + paras
            elif h == "signoff":
                paras += r.choice(SIGNOFFS).format(**fields).split("\n")
            elif h == "dateline":
                outlet = r.choice(OUTLETS)
                paras[0] = (
                    f"{outlet}{orig.published.month}月{orig.published.day}日讯（记者 {r.choice(SURNAMES)}{r.choice('晓建海丽红文')}）"
                    + paras[0]
                )
                src = outlet
            elif h == "title":
                title = r.choice(["【以案说法】", "【警惕】", "【反诈】", ""]) + title
        text = "\n".join(paras)
        if "traditional" in how:
            text = _s2t().convert(text)
            title = _s2t().convert(title)
        published = orig.published + timedelta(hours=r.randrange(1, 24 * 20))
        return Article(
            self._url(src),
            title,
            text,
            orig.story,
            src,
            published,
            "+".join(how),
            images=r.randrange(0, 6),
        )

    def reposts(self, orig: Article, k: int) -> list[Article]:
        """``k`` copies of ``orig``, each changed in a random mix of ways."""
        r = self.rng
        out = []
        for _ in range(k):
            how = []
            if r.random() < 0.6:
                how.append("header")
            if r.random() < 0.5:
                how.append("signoff")
            if r.random() < 0.6:
                how.append("edit")
            if r.random() < 0.15:
                how.append("note")
            if r.random() < 0.15:
                how.append("dateline")
            if r.random() < 0.2:
                how.append("tail")
            if r.random() < 0.15:
                how.append("reorder")
            if r.random() < 0.15:
                how.append("merge")
            if r.random() < 0.2:
                how.append("title")
            if r.random() < 0.15:
                how.append("truncate")
            if r.random() < 0.12:
                how.append("traditional")
            out.append(self.repost(orig, how or ["edit"]))
        return out

    def corpus(self, n: int, dup_share: float = 0.3) -> list[Article]:
        """About ``n`` articles: originals, and reposts making ``dup_share`` of them."""
        out: list[Article] = []
        story = 0
        while len(out) < n:
            story += 1
            orig = self.bulletin(story)
            out.append(orig)
            if self.rng.random() < dup_share / (1 - dup_share) / 2.5:
                out += self.reposts(orig, self.rng.randrange(1, 5))
        return out[:n]

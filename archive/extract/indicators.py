"""Indicators a bulletin names: phone numbers, web addresses, apps, QQ and WeChat ids,
bank accounts and amounts of money, each with its role.

Researchers track what the fraud used (``suspect``), the numbers and sites the police
point to (``official``), and the money victims lost (``loss``; other sums ``other``).
Values are normalised so that one number counts once however it is written:

- ``phone``: digits only, no ``+86``; a landline keeps its area code (``075586668888``);
- ``url``: lower-case host + path, no scheme, query or trailing slash;
- ``app``: the name as written, Traditional folded to Simplified, no quotes, no "APP";
- ``qq``, ``wechat``: the id; ``bank_account``: the digits;
- ``amount``: yuan, as a number in text (``8.6万元`` -> ``86000``, ``八万六千元`` -> ``86000``).

Rules, not a model: each kind is a pattern plus the words around it. Dates, years,
ID-card numbers, case numbers, percentages and counts of cases are not indicators; the
patterns' boundaries and context words keep them out. ``bench/indicators.py`` measures
precision and recall on ``tests/data/indicators/bulletins.jsonl`` (hand-labelled),
beside jionlp's extractors where it is installed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from archive.normalize import SENTENCE_MARK, to_simplified

KINDS = ("phone", "url", "app", "qq", "wechat", "bank_account", "amount")
ROLES = ("suspect", "official", "loss", "other")


@dataclass(frozen=True)
class Indicator:
    """One thing a bulletin names: its kind, normalised value and role."""

    kind: str
    value: str
    role: str

    def as_json(self) -> dict[str, str]:
        return {"kind": self.kind, "value": self.value, "role": self.role}


# -- context ------------------------------------------------------------------------

_CLAUSE_END = re.compile(r"[，,。；;！!？?\n]")


def _bounded(text: str, start: int, end: int, stops: re.Pattern[str], reach: int = 300) -> str:
    """The span around text[start:end] up to the nearest ``stops`` on each side (looking
    at most ``reach`` characters away, so long texts stay linear)."""
    lo = max(0, start - reach)
    left = max((m.end() for m in stops.finditer(text, lo, start)), default=lo)
    right = stops.search(text, end, end + reach)
    return text[left : right.start() if right else min(len(text), end + reach)]


def _clause(text: str, start: int, end: int) -> str:
    """The clause (between commas or full stops) around text[start:end]."""
    return _bounded(text, start, end, _CLAUSE_END)


def _sentence(text: str, start: int, end: int) -> str:
    return _bounded(text, start, end, SENTENCE_MARK)


def _around(text: str, start: int, end: int, width: int = 14) -> str:
    return text[max(0, start - width) : end + width]


# ASCII word boundaries: Python's \\w also matches Chinese, which is no boundary here
_B = r"(?<![A-Za-z0-9_.])"
_E = r"(?![A-Za-z0-9_])"

# -- phones -------------------------------------------------------------------------

_MOBILE = re.compile(_B + r"(?:\+?86[-\s]?)?(1[3-9]\d)[-\s]?(\d{4})[-\s]?(\d{4})" + _E)
_LANDLINE = re.compile(_B + r"(?:\+?86[-\s]?)?[(（]?(0[1-9]\d{1,2})[)）]?[-\s]?([2-9]\d{6,7})" + _E)
_HOTLINE = re.compile(_B + r"([48]00)[-\s]?(\d{3})[-\s]?(\d{4})" + _E)
# service numbers: bank and utility 95xxx, 96xxx (96110), government 12xxx, carriers 100xx
_SERVICE = re.compile(_B + r"(9[56]\d{3}|12[0-9]{3}|100(?:86|10|00))(?![A-Za-z0-9_%])")
_EMERGENCY = re.compile(_B + r"(110|120|119|122)" + _E)
_PHONE_CUE = re.compile(r"(拨打|致电|电话|热线|报警|专线|号码|来电|咨询|举报|回拨)")
_SUSPECT_CUE = re.compile(
    r"(自称|冒充|冒用|骗子|诈骗分子|不法分子|犯罪|对方|陌生|来电|回拨|显示号码|系冒)"
)
_OFFICIAL_CUE = re.compile(r"(官方|热线|举报|咨询电话|公安|派出所|反诈中心|报警)")
_NOT_MONEY_AFTER = re.compile(r"^\s*(余|多)?\s*(万|亿|千|元|人|名|起|次|个|条|户|%|％|岁|年|号)")


def _phones(text: str) -> list[Indicator]:
    found: list[tuple[int, int, str, bool]] = []  # start, end, digits, service number
    taken: list[tuple[int, int]] = []

    def free(s: int, e: int) -> bool:
        return all(e <= a or s >= b for a, b in taken)

    for rx, service in ((_MOBILE, False), (_HOTLINE, False), (_LANDLINE, False)):
        for m in rx.finditer(text):
            if free(m.start(), m.end()):
                taken.append((m.start(), m.end()))
                found.append((m.start(), m.end(), "".join(m.groups()), service))
    for m in _SERVICE.finditer(text):
        if free(m.start(), m.end()) and not _NOT_MONEY_AFTER.match(text[m.end() :]):
            taken.append((m.start(), m.end()))
            found.append((m.start(), m.end(), m.group(1), True))
    for m in _EMERGENCY.finditer(text):
        after = text[m.end() : m.end() + 4]
        cue = _PHONE_CUE.search(_around(text, m.start(), m.end(), 6))
        if free(m.start(), m.end()) and cue and not _NOT_MONEY_AFTER.match(after):
            taken.append((m.start(), m.end()))
            found.append((m.start(), m.end(), m.group(1), True))
    out = []
    for start, end, digits, service in sorted(found):
        if service:
            role = "official"
        else:
            clause = _clause(text, start, end)
            before = text[max(0, start - 16) : start]
            if _SUSPECT_CUE.search(clause):
                role = "suspect"
            elif _OFFICIAL_CUE.search(before) or _OFFICIAL_CUE.search(
                text[end : end + 16].split("。")[0]
            ):
                role = "official"
            else:
                role = "suspect"
        out.append(Indicator("phone", digits, role))
    return out


# -- web addresses ------------------------------------------------------------------

_TLDS = (
    "com|cn|net|org|top|xyz|vip|cc|me|info|app|io|co|hk|tw|mo|biz|club|site|online|"
    "shop|live|pro|tech|store|fun|icu|asia|wang|ltd|link|work|ink|tv|us|uk|jp|sg"
)
_URL = re.compile(
    r"(?<![A-Za-z0-9_@.-])(?:https?://)?((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:"
    + _TLDS
    + r"))"
    r"(?::\d{2,5})?((?:/[A-Za-z0-9_\-./%~+=&#?]*)?)(?![A-Za-z0-9_-])",
    re.I,
)
_OFFICIAL_DOMAINS = re.compile(
    r"(\.gov\.cn|^(www\.)?(12377|12321|12306|12315|12345)\.cn|^(www\.)?pbccrc\.org\.cn|"
    r"^(www\.)?cyberpolice\.cn)$"
)
_URL_OFFICIAL_CUE = re.compile(r"(官方|官网|唯一|举报中心|举报网站)")


def _urls(text: str) -> list[Indicator]:
    out = []
    for m in _URL.finditer(text):
        host = m.group(1).lower()
        path = re.split(r"[?#]", m.group(2) or "", maxsplit=1)[0].rstrip("/.")
        if "." not in host or host.replace(".", "").isdigit():
            continue
        bare = not m.group(0).lower().startswith(("http", "www.")) and not path
        if bare and not re.search(r"[a-z]", host.rsplit(".", 1)[0]):
            continue  # a bare domain needs a letter in its name part (not "1.2.cn")
        before = text[max(0, m.start() - 16) : m.start()]
        official = _OFFICIAL_DOMAINS.search(host) or (
            _URL_OFFICIAL_CUE.search(before) and not _SUSPECT_CUE.search(before)
        )
        out.append(Indicator("url", host + path, "official" if official else "suspect"))
    return out


# -- apps and platforms -------------------------------------------------------------

_Q = r"[“\"「『《]"
_QE = r"[”\"」』》]"
_NAME = r"([^“”\"「」『』《》，。；、\s]{1,16})"
_APP_WORD = r"(?:APP|App|app|ＡＰＰ|软件|平台|网站|小程序|客户端|直播平台)"
# a short descriptor may stand between the name and the word (“蜜语”交友APP), but no
# "的": “某某”的钓鱼网站 names what a fake imitates, not the fake
_APP_AFTER = re.compile(_Q + _NAME + _QE + r"(?:(?!的)[一-龥]){0,4}?" + _APP_WORD)
_APP_PLATFORM = re.compile(r"(?:平台|APP|App|app|软件)" + _Q + _NAME + _QE)
_APP_ON = re.compile(r"在" + _Q + _NAME + _QE + r"上")
_APP_DOWNLOAD = re.compile(
    r"(?:下载|安装|注册)(?:了)?(?:一款|一个)?(?:名为|叫做?)?" + _Q + _NAME + _QE
)
_APP_LIST = re.compile(
    "((?:" + _Q + r"[^“”\"」』》]{1,16}" + _QE + r"[、，]?){2,})等[一-龥]{0,6}?" + _APP_WORD
)
_APP_BARE = re.compile(r"(国家反诈中心)\s*(?:APP|App|app|ＡＰＰ)")
_INSTITUTION = re.compile(r"(院|局|部|委|厅|署|所|银行|公司|集团|政府|法院|检察院)$")
_NOT_APPS = {"APP", "App", "app", "平台", "软件", "网站", "安全账户", "刷单", "客服"}


def _apps(text: str) -> list[Indicator]:
    names: list[tuple[int, str]] = []
    for rx in (_APP_AFTER, _APP_ON, _APP_DOWNLOAD, _APP_PLATFORM):
        names += [(m.start(1), m.group(1)) for m in rx.finditer(text)]
    for m in _APP_LIST.finditer(text):
        for q in re.finditer(_Q + _NAME + _QE, m.group(1)):
            names.append((m.start(1) + q.start(1), q.group(1)))
    names += [(m.start(1), m.group(1)) for m in _APP_BARE.finditer(text)]
    out = []
    for _, name in sorted(names):
        name = re.sub(r"\s*(APP|App|app|ＡＰＰ)$", "", name).strip()
        if not name or name in _NOT_APPS or name.startswith("某") or name.isdigit():
            continue
        if _INSTITUTION.search(name):  # “最高人民检察院”网站: whom the fraud impersonates
            continue
        name = to_simplified(name)
        role = "official" if "反诈中心" in name or name.startswith("官方") else "suspect"
        out.append(Indicator("app", name, role))
    return out


# -- accounts -----------------------------------------------------------------------

_QQ = re.compile(r"(?:QQ|ＱＱ|qq)(?:号码?|群号?|账号)?[^\d\n]{0,6}?(?<!\d)([1-9]\d{4,10})(?!\d)")
_WECHAT = re.compile(
    r"(?:微信号|微信ID|微信id|微信账号|微信|WeChat|wechat|VX|vx|wx|WX)(?:号)?\s*(?:为|是|[:：])?\s*"
    + r"[“\"「]?([a-zA-Z][-_a-zA-Z0-9]{5,19}|1[3-9]\d{9})(?![-_a-zA-Z0-9])"
)
_BANK = re.compile(_B + r"(\d{4}(?:[\s-]?\d{4}){2,3}(?:[\s-]?\d{1,4})?)(?![A-Za-z0-9_.])")
_BANK_CUE = re.compile(r"(银行卡|卡号|账号|账户|帐号|帐户|户名)")
_ID_CUE = re.compile(r"(身份证|证件号|案号|编号|单号|订单号|快递)")


def _accounts(text: str) -> list[Indicator]:
    out = [Indicator("qq", m.group(1), "suspect") for m in _QQ.finditer(text)]
    out += [Indicator("wechat", m.group(1), "suspect") for m in _WECHAT.finditer(text)]
    for m in _BANK.finditer(text):
        digits = re.sub(r"\D", "", m.group(1))
        before = text[max(0, m.start() - 16) : m.start()]
        if not 16 <= len(digits) <= 19 or not _BANK_CUE.search(before) or _ID_CUE.search(before):
            continue
        out.append(Indicator("bank_account", digits, "suspect"))
    return out


# -- money --------------------------------------------------------------------------

_CN_DIGITS = "零〇一二两三四五六七八九十壹贰叁肆伍陆柒捌玖拾"
_CN_NUM = _CN_DIGITS + "百千万亿佰仟"
_AMOUNT = re.compile(
    r"(?<![\d.])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?\s*(余|多)?\s*(亿|万|千)?\s*(余|多)?\s*(元|块钱)"
    r"|(?<![\d.])(\d+)(\.\d+)?\s*(余|多)?\s*(亿|万)(?![元A-Za-z0-9_%])"
    r"|([" + _CN_NUM + r"]*[" + _CN_DIGITS + r"][" + _CN_NUM + r"]*)(余|多)?(万|亿)?(余|多)?元"
)
_UNITS = {"亿": Decimal(100_000_000), "万": Decimal(10_000), "千": Decimal(1000), None: Decimal(1)}
_MONEY_CUE = re.compile(r"(被骗|损失|转账|转走|骗走|金额|投入|充值|支付|汇款|共计|合计|资金)")
_LOSS = re.compile(r"(被骗|损失|被转走|转走|骗走|盗刷|骗光|骗取|被诈骗|敲诈|勒索)")
_PAID = re.compile(r"(转账|转入|充值|投入|支付|汇款|付款)")
_OUTCOME = re.compile(
    r"(被骗|无法提现|无法登录|无法取回|无法追回|血本无归|失联|拉黑|才发现|发现被骗|上当|受害人|事主)"
)
_RECOVERED = re.compile(r"(挽回|避免|止付|冻结|追回|返还|劝阻|获利|价值)")


def _money_value(m: re.Match[str]) -> Decimal | None:
    if m.group(11):  # Chinese numerals, the financial forms too (壹万贰仟)
        try:
            import cn2an

            number = Decimal(str(cn2an.cn2an(m.group(11), "normal")))
        except (ValueError, KeyError, InvalidOperation):
            return None
        return number * _UNITS[m.group(13)]
    if m.group(1):
        num, frac, unit = m.group(1).replace(",", ""), m.group(2) or "", m.group(4)
    else:
        num, frac, unit = m.group(7), m.group(8) or "", m.group(10)
    return Decimal(num + frac) * _UNITS[unit]


def _amounts(text: str) -> list[Indicator]:
    out = []
    for m in _AMOUNT.finditer(text):
        clause = _clause(text, m.start(), m.end())
        if m.group(7) and not _MONEY_CUE.search(clause):  # "1.2万" needs a money word
            continue
        value = _money_value(m)
        if value is None or value <= 0:
            continue
        sentence = _sentence(text, m.start(), m.end())
        lost = _LOSS.search(clause) or (_PAID.search(clause) and _OUTCOME.search(sentence))
        role = "loss" if lost and not _RECOVERED.search(clause) else "other"
        out.append(Indicator("amount", _number(value), role))
    return out


def _number(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


# -- all ----------------------------------------------------------------------------


def extract_indicators(text: str) -> list[Indicator]:
    """Every indicator ``text`` names, once per (kind, value), in order of first mention.

    A value named in several roles keeps the strongest: ``official`` over ``suspect``
    (a real service number that fraudsters impersonate is still the real one) and
    ``loss`` over ``other``.
    """
    # full-width digits and punctuation to ASCII, Traditional to Simplified (請致電, 萬元)
    text = to_simplified(unicodedata.normalize("NFKC", text or ""))
    found = _phones(text) + _urls(text) + _apps(text) + _accounts(text) + _amounts(text)
    best: dict[tuple[str, str], Indicator] = {}
    rank = {"official": 2, "loss": 2, "suspect": 1, "other": 1}
    for ind in found:
        key = (ind.kind, ind.value)
        if key not in best or rank[ind.role] > rank[best[key].role]:
            best[key] = ind
    return list(best.values())

"""The query language and its translation into Whoosh queries.

Syntax: words and ``"phrases"``; ``AND`` (also implied between terms), ``OR``, ``NOT``
(upper case), parentheses; ``field:value`` and ``field:"a phrase"`` for ``title``,
``body``, ``source`` (the publisher), ``site`` (the site crawled from), ``type``,
``kind``, ``url``, ``id``, and the indicators a bulletin names (``archive.indicators``):
``phone``, ``app``, ``qq``, ``wechat``, ``bank_account``, ``amount`` and ``url`` (which
matches the article's own URL or a web address it names), each an exact value written
as the indicator conventions write it (``phone:13812345678``, ``url:example.com/x``,
``amount:86000``; separators in numbers and an ``http://`` are dropped). Chinese
quotes (“” 「」) are phrase quotes too; full-width letters, digits and punctuation are
read as their half-width forms (NFKC). ``type:`` (and the ``fraud_type`` filter) takes a type's name
or a short alias (``type:杀猪盘``); an unknown type is ``UnknownFraudType``.

Chinese: a run of Chinese characters is a phrase of its character bigrams
(``search.analysis``), so it matches exactly the texts containing it verbatim; a
single character is a prefix query (every character starts one indexed term).
Runs of five or more characters also get their jieba words as optional clauses:
they never widen the match, they rank texts using those words higher.

Bad input raises ``QueryError`` with a one-line message.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from whoosh import query as wq

from archive.extract.relevance import resolve_type
from archive.times import CST

from .analysis import RUNS, fold, words
from .errors import QueryError
from .phrase import BigramPhrase
from .schema import INDICATOR_FIELDS

TEXT_FIELDS = ("title", "body")
FIELDS = {
    "title": "title",
    "body": "body",
    "source": "source",
    "site": "site",
    "type": "fraud_type",
    "fraud_type": "fraud_type",
    "kind": "kind",
    "url": "url",
    "id": "id",
    **{kind: field for kind, field in INDICATOR_FIELDS.items() if kind != "url"},
}
_DIGITS_ONLY = {"phone", "qq", "bank_account"}
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://")
MAX_EXPANSIONS = 500
# Runs this long get jieba words as optional ranking clauses (shorter runs are about
# one word: segmenting them adds a clause per candidate and little to the ranking).
MIN_RANKED_RUN = 5
_QUOTES = str.maketrans({"“": '"', "”": '"', "「": '"', "」": '"', "『": '"', "』": '"', "＂": '"'})
_TOKEN = re.compile(r'\s+|\(|\)|"[^"]*"?|[A-Za-z_]+:"[^"]*"?|[^\s()"]+')
_WORDISH = re.compile(r"[^\W_]")
_FIELD = re.compile(r"^([A-Za-z_]+):(.*)$", re.S)


# -- the syntax tree ---------------------------------------------------------------


@dataclass
class Atom:
    text: str
    field: str | None = None  # None: title and body
    phrase: bool = False


@dataclass
class Node:
    op: str  # AND | OR | NOT
    children: list[Any] = field(default_factory=list)


def _lex(query: str) -> list[str]:
    text = unicodedata.normalize("NFKC", query.translate(_QUOTES))
    if text.count('"') % 2:
        raise QueryError(f"unbalanced quote in query {query!r}")
    # Tokens with nothing searchable (a lone "!" or "，") are dropped, not errors.
    return [t for t in _TOKEN.findall(text) if t in "()" or _WORDISH.search(t)]


class _Parser:
    def __init__(self, query: str) -> None:
        self.query = query
        self.tokens = _lex(query)
        self.i = 0

    def peek(self) -> str | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> str:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def parse(self) -> Any:
        if not self.tokens:
            raise QueryError("empty query: give words to search for")
        node = self.or_expr()
        if self.peek() is not None:
            tok = self.peek()
            if tok == ")":
                raise QueryError(f"unbalanced parenthesis: ')' without '(' in {self.query!r}")
            raise QueryError(f"unexpected {tok!r} in query {self.query!r}")
        return node

    def or_expr(self) -> Any:
        parts = [self.and_expr()]
        while self.peek() == "OR":
            self.take()
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else Node("OR", parts)

    def and_expr(self) -> Any:
        parts = [self.unary()]
        while True:
            tok = self.peek()
            if tok is None or tok in (")", "OR"):
                break
            if tok == "AND":
                self.take()
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else Node("AND", parts)

    def unary(self) -> Any:
        tok = self.peek()
        if tok is None:
            raise QueryError(f"query {self.query!r} ends with an operator: give a term after it")
        if tok == "NOT":
            self.take()
            return Node("NOT", [self.unary()])
        if tok in ("AND", "OR"):
            raise QueryError(f"{tok} needs a term on each side in {self.query!r}")
        if tok == "(":
            self.take()
            if self.peek() == ")":
                raise QueryError("empty parentheses in query")
            node = self.or_expr()
            if self.peek() != ")":
                raise QueryError(f"unbalanced parenthesis: '(' without ')' in {self.query!r}")
            self.take()
            return node
        if tok == ")":
            raise QueryError(f"unbalanced parenthesis: ')' without '(' in {self.query!r}")
        return self.atom(self.take())

    def atom(self, tok: str) -> Atom:
        fld = None
        m = _FIELD.match(tok)
        if m and not tok.startswith('"'):
            name, tok = m.group(1).lower(), m.group(2)
            if name not in FIELDS:
                known = ", ".join(sorted(set(FIELDS) - {"fraud_type"}))
                raise QueryError(f"unknown field {name!r} in query (fields: {known})")
            fld = FIELDS[name]
            if not tok:
                raise QueryError(f"{name}: needs a value, e.g. {name}:反诈")
        phrase = tok.startswith('"')
        if phrase:
            tok = tok.strip('"')
            if not tok.strip():
                raise QueryError('empty phrase "" in query')
        if fld == "fraud_type":
            tok = resolve_type(tok)  # 杀猪盘 -> 网络婚恋交友(杀猪盘); UnknownFraudType
        return Atom(tok, fld, phrase)


def parse(query: str) -> Any:
    """The syntax tree of ``query``, or ``QueryError``."""
    if not query or not query.strip():
        raise QueryError("empty query: give words to search for")
    return _Parser(query).parse()


def positive_texts(node: Any, negated: bool = False) -> list[str]:
    """The text atoms a hit must (or may) contain: what highlighting marks."""
    if isinstance(node, Atom):
        if negated or node.field not in (None, "title", "body"):
            return []
        return [node.text]
    if node.op == "NOT":
        return positive_texts(node.children[0], not negated)
    out: list[str] = []
    for child in node.children:
        out.extend(positive_texts(child, negated))
    return out


# -- building Whoosh queries ---------------------------------------------------------


def _tokens(text: str) -> list[tuple[str, bool]]:
    """``(term, is_single_cjk_at_end)`` in position order, for a folded atom text."""
    runs = [(m.group(), m.lastgroup == "c") for m in RUNS.finditer(text)]
    out: list[tuple[str, bool]] = []
    for k, (run, cjk) in enumerate(runs):
        last = k == len(runs) - 1
        if not cjk:
            out.append((run, False))
            continue
        out.extend((run[i : i + 2], False) for i in range(len(run) - 1))
        # The last character alone marks "the run ends here": only where another run
        # follows in the phrase; a single character at the very end is a prefix.
        if not last or len(run) == 1:
            out.append((run[-1], last))
    return out


class Builder:
    """Turns a syntax tree into a Whoosh query; needs the reader for prefix expansion."""

    def __init__(self, reader: Any) -> None:
        self.reader = reader

    def build(self, node: Any) -> wq.Query:
        q = self._build(node)
        if isinstance(q, wq.Not):
            return wq.And([wq.Every(), q])
        return q

    def _build(self, node: Any) -> wq.Query:
        if isinstance(node, Atom):
            return self.atom(node)
        kids = [self._build(c) for c in node.children]
        if node.op == "NOT":
            return wq.Not(kids[0])
        if node.op == "OR":
            return wq.Or(kids)
        pos = [k for k in kids if not isinstance(k, wq.Not)]
        neg = [k.query for k in kids if isinstance(k, wq.Not)]
        if not pos:
            pos = [wq.Every()]
        q = pos[0] if len(pos) == 1 else wq.And(pos)
        if neg:
            q = wq.AndNot(q, neg[0] if len(neg) == 1 else wq.Or(neg))
        return q

    def atom(self, atom: Atom) -> wq.Query:
        if atom.field in (None, "title", "body"):
            fields = TEXT_FIELDS if atom.field is None else (atom.field,)
            qs = [self.text(f, atom.text, ranked=not atom.phrase) for f in fields]
            return qs[0] if len(qs) == 1 else wq.Or(qs)
        value = atom.text.strip()
        if atom.field in ("source", "site"):
            return wq.Term(atom.field, value.lower())
        if atom.field == "url":
            named = indicator_value("url", value)
            return wq.Or([wq.Term("url", value), wq.Term(INDICATOR_FIELDS["url"], named)])
        if atom.field in INDICATOR_FIELDS.values():
            return wq.Term(atom.field, indicator_value(atom.field[2:], value))
        return wq.Term(atom.field, value)

    def text(self, fieldname: str, text: str, ranked: bool = True) -> wq.Query:
        """The query for one text atom in one bigram field (see the module doc)."""
        folded = fold(text)
        toks = _tokens(folded)
        if not toks:
            raise QueryError(f"{text!r} has no letters, digits or Chinese characters to search")
        if len(toks) == 1:
            term, prefix = toks[0]
            return wq.Prefix(fieldname, term) if prefix else wq.Term(fieldname, term)
        head = [t for t, _ in toks]
        if toks[-1][1]:
            ends = self._expand(fieldname, head[-1])
            alts = [BigramPhrase(fieldname, [*head[:-1], e]) for e in ends]
            q: wq.Query = wq.Or(alts) if alts else wq.NullQuery
        else:
            q = BigramPhrase(fieldname, head)
        if ranked and fieldname == "body":
            extra = self._word_clauses(fieldname, folded)
            if extra:
                q = wq.AndMaybe(q, wq.Or(extra))
        return q

    def _expand(self, fieldname: str, char: str) -> list[str]:
        out = []
        for t in self.reader.expand_prefix(fieldname, char):
            out.append(t.decode("utf-8") if isinstance(t, bytes) else t)
            if len(out) >= MAX_EXPANSIONS:
                break
        return out

    def _word_clauses(self, fieldname: str, folded: str) -> list[wq.Query]:
        """jieba words of long runs, as optional phrases: word-level ranking."""
        out: list[wq.Query] = []
        for m in RUNS.finditer(folded):
            run = m.group()
            if m.lastgroup != "c" or len(run) < MIN_RANKED_RUN:
                continue
            ws = [w for w in words(run) if w != run]
            if len(ws) < 2:
                continue
            for w in ws:
                toks = [run_ for run_, _ in _tokens(w)]
                out.append(
                    wq.Term(fieldname, toks[0]) if len(toks) == 1 else BigramPhrase(fieldname, toks)
                )
        return out


def build_query(query: str, reader: Any) -> tuple[wq.Query, list[str]]:
    """The Whoosh query for ``query`` and the texts to highlight."""
    tree = parse(query)
    return Builder(reader).build(tree), positive_texts(tree)


# -- filters -------------------------------------------------------------------------

_DATE = re.compile(r"^(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?$")
# The years a date filter may name: wide enough for any bulletin, narrow enough that the
# period's end and its shift to UTC stay within what datetime and the databases hold.
FIRST_YEAR, LAST_YEAR = 1900, 2999


def check_year(year: int, option: str, value: str) -> None:
    """QueryError unless ``year`` is within FIRST_YEAR..LAST_YEAR."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise QueryError(f"{option} {value!r} is out of range (years {FIRST_YEAR} to {LAST_YEAR})")


def parse_date(value: str, option: str, *, end: bool = False) -> datetime:
    """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` (China time) as the start of that
    period, or with ``end`` the start of the next one."""
    m = _DATE.match(value.strip())
    if not m:
        raise QueryError(f"{option} {value!r} is not a date (use YYYY-MM-DD, YYYY-MM or YYYY)")
    y, mo, d = int(m.group(1)), m.group(2), m.group(3)
    check_year(y, option, value)
    try:
        if d is not None:
            start = datetime(y, int(mo), int(d), tzinfo=CST)
            return start + timedelta(days=1) if end else start
        if mo is not None:
            start = datetime(y, int(mo), 1, tzinfo=CST)
            if not end:
                return start
            return datetime(y + (int(mo) == 12), int(mo) % 12 + 1, 1, tzinfo=CST)
        return datetime(y + 1 if end else y, 1, 1, tzinfo=CST)
    except ValueError as exc:
        raise QueryError(f"{option} {value!r} is not a date ({exc})") from None


def indicator_value(kind: str, value: str) -> str:
    """A typed value as the index holds it (``archive.extract.indicators`` conventions,
    lower-cased): digits only for phones, QQ numbers and accounts (no ``+86``), a web
    address without scheme or trailing slash, an amount without thousands separators."""
    value = value.strip().lower()
    if kind in _DIGITS_ONLY:
        digits = re.sub(r"\D", "", value)
        if kind == "phone" and value.startswith("+86"):
            digits = digits[2:]
        return digits or value
    if kind == "url":
        return _SCHEME.sub("", value).split("?", 1)[0].rstrip("/")
    if kind == "amount":
        return value.replace(",", "").removesuffix("元")
    return value


def filter_query(
    *,
    source: str | None = None,
    fraud_type: str | None = None,
    since: str | None = None,
    until: str | None = None,
    site: str | None = None,
) -> wq.Query | None:
    """The filters as one Whoosh query (None: no filter)."""
    from datetime import UTC

    parts: list[wq.Query] = []
    if source:
        parts.append(wq.Term("source", unicodedata.normalize("NFKC", source).strip().lower()))
    if site:
        parts.append(wq.Term("site", unicodedata.normalize("NFKC", site).strip().lower()))
    if fraud_type:
        parts.append(wq.Term("fraud_type", resolve_type(fraud_type)))
    if since or until:
        start = parse_date(since, "--since") if since else None
        stop = parse_date(until, "--until", end=True) if until else None
        if start and stop and start >= stop:
            raise QueryError(f"--since {since} is after --until {until}")

        def naive(d: datetime | None) -> datetime | None:
            return d.astimezone(UTC).replace(tzinfo=None) if d else None

        parts.append(
            wq.DateRange(
                "published",
                naive(start),
                naive(stop - timedelta(microseconds=1)) if stop else None,
            )
        )
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else wq.And(parts)

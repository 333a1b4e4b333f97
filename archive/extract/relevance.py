"""Is an article about telecom / online fraud, and which kinds? A scored phrase model.

The model and the taxonomy live in ``fraud_types.toml`` (packaged with this module;
its header documents the rule): weighted phrases in three groups (words for fraud,
how the fraud works, prevention), title phrases counting double, and a relevance
decision that needs a word for fraud, several distinct signals and a total score,
so that one word ("投资", "诈骗" in a contract-fraud trial) is not enough.
"""

from __future__ import annotations

import math
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from archive.errors import UnknownFraudType
from archive.normalize import to_simplified

GROUPS = ("fraud", "method", "prevention")


@dataclass
class Relevance:
    """The verdict on one article.

    ``matched`` maps each phrase found to its count (title and text together);
    ``type_scores`` gives every fraud type's score, tagged or not.
    """

    score: float
    relevant: bool
    fraud_types: list[str]
    matched: dict[str, int] = field(default_factory=dict)
    type_scores: dict[str, float] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "score": round(self.score, 2),
            "relevant": self.relevant,
            "fraud_types": self.fraud_types,
            "matched": self.matched,
        }


@dataclass(frozen=True)
class FraudType:
    name: str
    description: str
    phrases: dict[str, float]
    min_score: float
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Model:
    threshold: float
    min_signals: int
    title_weight: float
    general_type: str
    groups: dict[str, dict[str, float]]
    types: tuple[FraudType, ...]
    pattern: re.Pattern[str]
    names: dict[str, str] = field(default_factory=dict)  # folded name or alias -> type
    phrase_type: dict[str, str] = field(default_factory=dict)  # type phrase -> its type
    list_min_types: int = 3
    type_evidence: float = math.inf
    secondary_ratio: float = 0.0


def _norm_phrase(p: str) -> str:
    return unicodedata.normalize("NFKC", p).lower()


@lru_cache(maxsize=4)
def load_model(path: str | None = None) -> Model:
    """The packaged model, or one read from ``path`` (same TOML layout)."""
    if path:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    else:
        data = tomllib.loads(
            resources.files(__package__).joinpath("fraud_types.toml").read_text("utf-8")
        )
    m = data["model"]
    groups = {g: {_norm_phrase(k): float(v) for k, v in data.get(g, {}).items()} for g in GROUPS}
    types = tuple(
        FraudType(
            name=t["name"],
            description=t.get("description", ""),
            phrases={_norm_phrase(k): float(v) for k, v in t["phrases"].items()},
            min_score=float(t.get("min_score", m.get("type_min_score", 4.0))),
            aliases=tuple(t.get("aliases", ())),
        )
        for t in data.get("type", [])
    )
    names = _names(
        [(t.name, t.aliases) for t in types]
        + [(m["general_type"], tuple(m.get("general_aliases", ())))]
    )
    phrases = set().union(*groups.values(), *(t.phrases for t in types))
    pattern = re.compile("|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True)))
    phrase_type: dict[str, str] = {}
    for t in sorted(types, key=lambda t: t.name):  # a shared phrase: its heaviest type
        for p, w in t.phrases.items():
            if p not in phrase_type or w > _weight(types, phrase_type[p], p):
                phrase_type[p] = t.name
    return Model(
        threshold=float(m["threshold"]),
        min_signals=int(m["min_signals"]),
        title_weight=float(m["title_weight"]),
        general_type=m["general_type"],
        groups=groups,
        types=types,
        pattern=pattern,
        names=names,
        phrase_type=phrase_type,
        list_min_types=int(m.get("list_min_types", 3)),
        type_evidence=float(m.get("type_evidence", math.inf)),
        secondary_ratio=float(m.get("secondary_ratio", 0.0)),
    )


def _weight(types: tuple[FraudType, ...], name: str, phrase: str) -> float:
    return next(t.phrases.get(phrase, 0.0) for t in types if t.name == name)


def _names(entries: list[tuple[str, tuple[str, ...]]]) -> dict[str, str]:
    """Every folded name and alias -> its type; an alias naming two types is an error
    in the taxonomy file (it would make ``--type`` ambiguous)."""
    out: dict[str, str] = {}
    for name, aliases in entries:
        for alias in (name, *aliases):
            key = _prepare(alias).strip()
            if out.get(key, name) != name:
                raise ValueError(f"alias {alias!r} names both {out[key]!r} and {name!r}")
            out[key] = name
    return out


def resolve_type(name: str, *, model: Model | None = None) -> str:
    """The canonical fraud type for a name or alias typed by a user (``杀猪盘`` ->
    ``网络婚恋交友(杀猪盘)``), folded as the classifier folds text (NFKC, lower case,
    Simplified); ``UnknownFraudType`` names the choices when nothing matches."""
    model = model or load_model()
    found = model.names.get(_prepare(name).strip())
    if found is None:
        choices = ", ".join([t.name for t in model.types] + [model.general_type])
        raise UnknownFraudType(
            f"unknown fraud type {name.strip()!r} (types: {choices}; "
            "short names such as 杀猪盘, 刷单, 贷款 work too)"
        )
    return found


def taxonomy() -> list[dict[str, str]]:
    """The fraud types, with their descriptions (for docs, the web UI, facets)."""
    model = load_model()
    return [
        {"name": t.name, "description": t.description, "aliases": list(t.aliases)}
        for t in model.types
    ] + [
        {
            "name": model.general_type,
            "description": "Telecom or online fraud of no listed kind.",
            "aliases": [k for k, v in model.names.items() if v == model.general_type][1:],
        }
    ]


def _prepare(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "").lower()
    return to_simplified(text)


def _counts(model: Model, text: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for m in model.pattern.finditer(text):
        out[m.group(0)] = out.get(m.group(0), 0) + 1
    return out


# Between two type phrases of one enumeration: a few characters of the same item
# ("虚假" in 虚假网络贷款) and list separators, never a clause's or sentence's end.
_LIST_GAP = re.compile(r"[^。！？!?；;：:，,\n]{0,8}")
_LIST_SEP = re.compile(r"、|”“|\"\s*\"|和|及|与|或|/")


def list_spans(model: Model, text: str) -> list[tuple[int, int]]:
    """Where ``text`` (prepared) enumerates fraud types rather than tells of one:
    type phrases chained by list separators (、, juxtaposed quotes “A”“B”, 和/及/与/或)
    with nothing between them that ends a clause, naming at least
    ``list_min_types`` types in as many items ("常见的有刷单返利、虚假投资理财、
    冒充公检法等"). Such a list says what fraud exists, not what the bulletin is about."""
    hits = [m for m in model.pattern.finditer(text) if m.group(0) in model.phrase_type]
    spans: list[tuple[int, int]] = []
    chain: list[re.Match[str]] = []
    items = 1

    def close() -> None:
        kinds = {model.phrase_type[m.group(0)] for m in chain}
        if items >= model.list_min_types and len(kinds) >= model.list_min_types:
            spans.append((chain[0].start(), chain[-1].end()))

    for m in hits:
        if chain:
            gap = text[chain[-1].end() : m.start()]
            if _LIST_GAP.fullmatch(gap):
                items += bool(_LIST_SEP.search(gap))
                chain.append(m)
                continue
            close()
        chain, items = [m], 1
    if chain:
        close()
    return spans


def _without_lists(model: Model, text: str) -> str:
    for a, b in list_spans(model, text):
        text = text[:a] + " " * (b - a) + text[b:]
    return text


def _weighted(phrases: dict[str, float], title: dict[str, int], body: dict[str, int], tw: float):
    score = 0.0
    for p, w in phrases.items():
        n = min(title.get(p, 0) * tw + body.get(p, 0), 4.0)
        if n:
            score += w * math.sqrt(n)
    return score


def _told_by_type(
    model: Model,
    score: float,
    signals: set[str],
    type_scores: dict[str, float],
    title: dict[str, int],
    body: dict[str, int],
) -> bool:
    """A story told in one type's own words ("对方自称公安局民警，称其涉嫌洗钱，要求转入
    安全账户") is about fraud without a word for fraud: a type scoring
    ``type_evidence`` stands in for it, with half the threshold from the groups and
    ``min_signals`` distinct phrases of the groups and that type."""
    best = max(model.types, key=lambda t: type_scores[t.name], default=None)
    if best is None or type_scores[best.name] < model.type_evidence:
        return False
    own = {p for p in best.phrases if p in title or p in body}
    return score >= model.threshold / 2 and len(signals | own) >= model.min_signals


def classify(title: str | None, text: str | None, *, model: Model | None = None) -> Relevance:
    """Score an article; ``relevant`` when it is about telecom / online fraud."""
    model = model or load_model()
    title_p, text_p = _prepare(title or ""), _prepare(text or "")
    t_counts = _counts(model, title_p)
    b_counts = _counts(model, text_p)
    # Types are scored without enumerations of types (``list_spans``); relevance with them.
    t_types = _counts(model, _without_lists(model, title_p))
    b_types = _counts(model, _without_lists(model, text_p))
    tw = model.title_weight
    score = sum(_weighted(g, t_counts, b_counts, tw) for g in model.groups.values())
    fraud_words = [p for p in model.groups["fraud"] if p in t_counts or p in b_counts]
    signals = {p for g in model.groups.values() for p in g if p in t_counts or p in b_counts}
    type_scores = {
        t.name: round(_weighted(t.phrases, t_types, b_types, tw), 2) for t in model.types
    }
    relevant = score >= model.threshold and bool(fraud_words) and len(signals) >= model.min_signals
    if not relevant:
        relevant = _told_by_type(model, score, signals, type_scores, t_types, b_types)
    types: list[str] = []
    if relevant:
        ranked = sorted(model.types, key=lambda t: -type_scores[t.name])
        # a second type is tagged when the bulletin is about it too, not in passing
        floor = type_scores[ranked[0].name] * model.secondary_ratio if ranked else 0.0
        types = [t.name for t in ranked if type_scores[t.name] >= max(t.min_score, floor)]
        if not types:
            types = [model.general_type]
    matched = {
        p: t_counts.get(p, 0) + b_counts.get(p, 0) for p in sorted(set(t_counts) | set(b_counts))
    }
    return Relevance(score, relevant, types, matched, type_scores)

"""Scoring fraud-type tags against a hand-labelled set (``bench/fraud_types.py``, tests).

A labelled bulletin is one JSON line: ``{"id", "title", "text", "types"}``, ``types``
the canonical names it is about (``[]``: not about telecom fraud). Each (bulletin, type)
pair is one decision; micro precision and recall count them over the set, with the
general type (``电信网络诈骗(通用)``) a type like the others and ``specific`` the same
figures without it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .indicators_eval import Tally
from .relevance import classify, load_model


@dataclass
class Scores:
    micro: Tally = field(default_factory=Tally)
    specific: Tally = field(default_factory=Tally)
    per_type: dict[str, Tally] = field(default_factory=dict)
    misses: list[dict[str, Any]] = field(default_factory=list)
    not_relevant: int = 0  # bulletins labelled with types that got none (judged off-topic)


def load_labelled(path: str | Path) -> list[dict[str, Any]]:
    """The labelled bulletins; every label must be a canonical type name."""
    names = {t.name for t in load_model().types} | {load_model().general_type}
    rows = [json.loads(line) for line in Path(path).read_text("utf-8").splitlines() if line]
    for row in rows:
        unknown = set(row["types"]) - names
        if unknown:
            raise ValueError(f"{row['id']}: labels {sorted(unknown)} are not type names")
    return rows


def predict(row: dict[str, Any]) -> list[str]:
    return classify(row["title"], row["text"]).fraud_types


def score(
    rows: Iterable[dict[str, Any]], tagger: Callable[[dict[str, Any]], list[str]] = predict
) -> Scores:
    """Micro and per-type tallies of ``tagger`` against the labels."""
    general = load_model().general_type
    out = Scores()
    for row in rows:
        want, got = set(row["types"]), set(tagger(row))
        for name in want | got:
            tally = out.per_type.setdefault(name, Tally())
            kind = "tp" if name in want and name in got else "fn" if name in want else "fp"
            for t in (tally, out.micro) + ((out.specific,) if name != general else ()):
                setattr(t, kind, getattr(t, kind) + 1)
        out.not_relevant += bool(want and not got)
        if want != got:
            out.misses.append({"id": row["id"], "want": sorted(want), "got": sorted(got)})
    return out

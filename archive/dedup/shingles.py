"""Matching keys: the text dedup compares, its sentences and its character shingles.

Matching works on ``article.norm_text`` (NFKC, one punctuation set). For matching only,
Traditional characters are mapped to Simplified, punctuation and spaces are dropped and
Latin letters lower-cased (``archive.normalize``: ``to_simplified``, ``word_key``,
``match_key``, ``SENTENCE_BREAKS``). The stored text is never changed.

Shingles are hashed character 5-grams computed with numpy (a polynomial rolling hash
over code points, then a 64-bit mixer), returned as a sorted array of unique ``uint64``.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np

from ..normalize import SENTENCE_BREAKS, to_simplified

K = 5  # shingle length in characters
MIN_SENTENCE = 8  # shorter sentences are never counted as boilerplate
_NON_WORD_NL = re.compile(r"[^\w\n]+|_+")
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_BASE = np.uint64(0x100000001B3)


def phrase_hash(key: str) -> int:
    """A stable 63-bit hash of a sentence key (fits a signed BIGINT)."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest()) >> 1


def mix64(x: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser: spreads the bits of uint64 values."""
    x = x ^ (x >> np.uint64(30))
    x = x * _M1
    x = x ^ (x >> np.uint64(27))
    x = x * _M2
    return x ^ (x >> np.uint64(31))


def shingle_hashes(key: str, k: int = K) -> np.ndarray:
    """Sorted unique 64-bit hashes of the character k-grams of ``key``."""
    if not key:
        return np.empty(0, dtype=np.uint64)
    return unique_sorted(_raw_shingles(key, k))


def unique_sorted(x: np.ndarray) -> np.ndarray:
    """Sorted unique values (faster than ``np.unique`` on small uint64 arrays)."""
    if len(x) < 2:
        return x
    s = np.sort(x)
    keep = np.empty(len(s), dtype=bool)
    keep[0] = True
    np.not_equal(s[1:], s[:-1], out=keep[1:])
    return s[keep]


def _raw_shingles(key: str, k: int) -> np.ndarray:
    cp = np.frombuffer(key.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    n = len(cp) - k + 1
    if n <= 0:
        return mix64(np.array([hash_tail(cp)], dtype=np.uint64))
    with np.errstate(over="ignore"):
        h = cp[:n].copy()
        for j in range(1, k):
            h = h * _BASE + cp[j : j + n]
        return mix64(h)


def segment_shingles(keys: list[str], k: int = K) -> tuple[np.ndarray, np.ndarray]:
    """``shingle_hashes`` of each key at once: (hashes, key number), unique per key.

    One rolling-hash pass over the joined keys, keeping the windows that lie inside
    one key: the same hashes as one ``shingle_hashes`` call per key, without the
    per-key numpy overhead.
    """
    lengths = np.fromiter(map(len, keys), dtype=np.int64, count=len(keys))
    ends = np.cumsum(lengths)
    parts_v: list[np.ndarray] = []
    parts_s: list[np.ndarray] = []
    joined = "".join(keys)
    if len(joined) >= k:
        starts = np.arange(len(joined) - k + 1)
        sid = np.searchsorted(ends, starts, side="right")
        inside = starts + k <= ends[sid]
        parts_v.append(_raw_shingles(joined, k)[inside])
        parts_s.append(sid[inside])
    for i in np.flatnonzero((lengths > 0) & (lengths < k)).tolist():
        parts_v.append(_raw_shingles(keys[i], k))
        parts_s.append(np.array([i], dtype=np.int64))
    if not parts_v:
        return np.empty(0, dtype=np.uint64), np.empty(0, dtype=np.int64)
    vals, seg = np.concatenate(parts_v), np.concatenate(parts_s)
    order = np.lexsort((vals, seg))
    vals, seg = vals[order], seg[order]
    keep = np.ones(len(vals), dtype=bool)
    keep[1:] = (vals[1:] != vals[:-1]) | (seg[1:] != seg[:-1])
    return vals[keep], seg[keep]


def hash_tail(cp: np.ndarray) -> int:
    """One hash for a key shorter than a shingle."""
    value = 0
    for c in cp.tolist():
        value = (value * 0x100000001B3 + c) & 0xFFFFFFFFFFFFFFFF
    return value


def sentence_keys(norm_text: str) -> list[str]:
    """The sentences of a normalised text as matching keys (Simplified, words only).

    Two regular-expression passes over the whole text, then ``str.split``: much faster
    than a loop over sentences, and the same keys as ``word_key`` of each sentence.
    """
    marked = SENTENCE_BREAKS.sub("\n", to_simplified(norm_text))
    return [p for p in _NON_WORD_NL.sub("", marked).lower().split("\n") if p]


def sentence_hashes(keys: list[str]) -> list[int]:
    """A phrase hash per sentence key; 0 for those too short to be boilerplate."""
    return [phrase_hash(k) if len(k) >= MIN_SENTENCE else 0 for k in keys]

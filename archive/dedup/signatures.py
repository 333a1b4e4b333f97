"""MinHash signatures by one-permutation hashing, and their LSH band keys.

Each shingle is hashed once (``shingles.shingle_hashes``); the top 7 bits of the hash
choose one of 128 bins and the smallest hash in each bin is that bin's value
(one-permutation hashing, Li et al. 2012). Empty bins borrow from the next non-empty
bin with an offset (rotation densification, Shrivastava 2017), so that two signatures
agree in a bin with probability close to the Jaccard similarity, as with 128
independent permutations — at the cost of one sort instead of 128 hash passes.

126 of the 128 values are cut into 42 bands of 3; a band key is a 63-bit hash of the
band's values and its number. Two texts share at least one band key with probability
``1 - (1 - J**3)**42``: 0.995 at J = 0.5, 0.94 at J = 0.4, 0.68 at J = 0.3, 0.04 at
J = 0.1. The low threshold is on purpose (a truncated copy has a low Jaccard
similarity): candidates are filtered by their estimated similarity, then verified
exactly.
"""

from __future__ import annotations

import numpy as np

from .shingles import mix64

NUM_PERM = 128
BANDS = 42
ROWS = 3  # 42 bands of 3 rows use 126 of the 128 values
_SHIFT = np.uint64(64 - 7)
_BIN_STARTS = np.arange(NUM_PERM, dtype=np.uint64) << _SHIFT
_BINS = np.arange(NUM_PERM)
_ROTATE = np.uint32(0x9E3779B1)
_BAND_SALT = mix64(np.arange(1, BANDS + 1, dtype=np.uint64) * np.uint64(0x632BE59BD9B4E019))
_LOW32 = np.uint64(0xFFFFFFFF)


def signature(shingles: np.ndarray) -> np.ndarray | None:
    """The 128 uint32 MinHash values of a sorted unique shingle array (None if empty)."""
    n = len(shingles)
    if n == 0:
        return None
    idx = np.searchsorted(shingles, _BIN_STARTS)
    vals = shingles[np.minimum(idx, n - 1)]
    nonempty = (idx < n) & ((vals >> _SHIFT) == _BINS.astype(np.uint64))
    base = (vals & _LOW32).astype(np.uint32)
    if nonempty.all():
        return base
    filled = np.flatnonzero(nonempty)
    nxt = filled[np.searchsorted(filled, _BINS) % len(filled)]
    dist = ((nxt - _BINS) % NUM_PERM).astype(np.uint32)
    with np.errstate(over="ignore"):
        return base[nxt] + dist * _ROTATE


def band_keys(sig: np.ndarray) -> np.ndarray:
    """The 32 band keys of a signature, as non-negative int64 (fit a signed BIGINT)."""
    v = sig[: BANDS * ROWS].reshape(BANDS, ROWS).astype(np.uint64)
    with np.errstate(over="ignore"):
        left = (v[:, 0] << np.uint64(32)) | v[:, 1]
        keys = mix64(mix64(left ^ _BAND_SALT) ^ v[:, 2])
    return (keys >> np.uint64(1)).astype(np.int64)


def estimate(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two signatures."""
    return float(np.count_nonzero(a == b)) / NUM_PERM


def to_bytes(sig: np.ndarray) -> bytes:
    return sig.astype("<u4").tobytes()


def from_bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<u4").astype(np.uint32)

"""The parts of dedup: matching keys, shingles, signatures, verification."""

from __future__ import annotations

import numpy as np
import pytest

from archive.dedup.shingles import sentence_keys, shingle_hashes
from archive.dedup.signatures import band_keys, estimate, from_bytes, signature, to_bytes
from archive.dedup.verify import Boiler, Features, measure, particulars
from archive.normalize import match_key, to_simplified


def test_matching_key_is_simplified_words_only():
    assert to_simplified("國家反詐中心，瞭解詐騙") == "国家反诈中心，了解诈骗"
    assert (
        match_key("國家反詐中心APP， 您下載了嗎？", normalized=False) == "国家反诈中心app您下载了吗"
    )
    assert sentence_keys("第一句。第二句！\n第三句") == ["第一句", "第二句", "第三句"]


def test_shingles_are_sorted_unique_and_stable():
    sh = shingle_hashes("电信网络诈骗电信网络诈骗")
    assert sh.dtype == np.uint64 and np.all(np.diff(sh.astype(np.float64)) > 0)
    assert len(sh) == 6  # 8 windows, 6 distinct
    assert int(shingle_hashes("反诈")[0]) == int(shingle_hashes("反诈")[0])
    assert len(shingle_hashes("")) == 0


def test_signature_estimates_jaccard_and_round_trips():
    rng = np.random.default_rng(7)
    top = np.iinfo(np.uint64).max
    a = np.unique(rng.integers(0, top, 1000, dtype=np.uint64))
    b = np.unique(np.concatenate([a[:600], rng.integers(0, top, 400, dtype=np.uint64)]))
    sa, sb = signature(a), signature(b)
    assert abs(estimate(sa, sb) - 600 / 1400) < 0.12
    assert np.array_equal(from_bytes(to_bytes(sa)), sa)
    keys = band_keys(sa)
    assert len(keys) == 42 and keys.dtype == np.int64 and (keys >= 0).all()
    assert signature(np.empty(0, dtype=np.uint64)) is None


def test_partial_copy_and_template_look_alike():
    body = "".join(
        f"第{i}段，民警在{i}号小区走访群众，发放反诈宣传资料{i * 7}份。" for i in range(1, 30)
    )
    full = Features.of(body)
    part = Features.of("来源：某某公安\n" + body[: len(body) // 3])
    m = measure(part, full, Boiler())
    assert m.relation == "partial" and m.containment > 0.9 and m.similarity < 0.5
    # the same sentences with other numbers: not a copy
    other = Features.of(
        body.replace("号小区", "号村").translate(str.maketrans("0123456789", "5678901234"))
    )
    assert not measure(other, full, Boiler()).is_match
    assert particulars(["王某某被骗46000元", "李女士"]) == {"王某某", "46000", "李女士"}


@pytest.mark.parametrize("text", ["", "。。", "短"])
def test_tiny_texts_never_match(text):
    f = Features.of(text)
    assert not f.matchable
    assert not measure(f, f, Boiler()).is_match

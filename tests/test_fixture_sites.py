"""The committed fixture and sample sites are exactly what ``tests/sites/build.py`` makes.

Both trees are generated from one corpus (so the demo and the tests agree) and committed
(so GBK pages keep their real bytes). A hand edit to one copy, or a corpus change not
rebuilt, fails here: run ``.venv/bin/python -m tests.sites.build``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.sites import build


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


@pytest.mark.parametrize(
    ("maker", "committed"),
    [(build.build_fixtures, build.WWW), (build.build_samples, build.SAMPLES)],
    ids=["tests/sites/www", "fanzha/samples/sites"],
)
def test_committed_sites_match_the_builder(tmp_path, maker, committed):
    maker(tmp_path / "out")
    built, kept = _tree(tmp_path / "out"), _tree(committed)
    assert sorted(built) == sorted(kept)
    stale = [name for name in built if built[name] != kept[name]]
    assert stale == [], f"rebuild with python -m tests.sites.build: {stale[:5]}"

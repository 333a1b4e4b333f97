"""An editor's check of excerpts: how often the original is found, with and without
the full-text candidates (``search.passages``).

    .venv/bin/python bench/check_excerpts.py            # 3,000 bulletins, 300 excerpts

Generates bulletins (bench/dedup_corpus.py, about 1.6 KB each), deduplicates and
indexes them, then for the first ``--excerpts`` articles cuts an excerpt (whole
paragraphs from the second on, until about 15%, 25% and 35% of the text) and runs
``check_text`` on it: with dedup's LSH candidates only, then with the passages' too.
Prints how many excerpts found an article of their own story, and how many matches
were of another story.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from sqlalchemy import select  # noqa: E402

from archive import Archive  # noqa: E402
from archive.dedup import run_dedup  # noqa: E402
from archive.dedup.queries import check_text  # noqa: E402
from archive.models import Article  # noqa: E402
from search import update_index  # noqa: E402
from search.passages import passage_candidates  # noqa: E402

sys.path.append(str(ROOT / "bench"))  # after the packages: bench/search.py is not `search`
from dedup import build  # noqa: E402


def excerpt(text: str, share: float) -> str | None:
    paras = [p for p in text.split("\n") if p.strip()]
    if len(paras) < 6:
        return None
    part: list[str] = []
    for p in paras[1:]:
        if sum(map(len, part)) >= share * len(text):
            break
        part.append(p)
    return "\n".join(part)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=3000)
    ap.add_argument("--excerpts", type=int, default=300)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="fz-check-") as tmp:
        home = build(Path(tmp) / "home", args.n, seed=11)
        archive = Archive.open(home)
        run_dedup(archive)
        update_index(archive)
        with archive.session() as s:
            rows = s.execute(select(Article.id, Article.text, Article.extra).order_by(Article.id))
            rows = rows.all()
        story = {aid: (extra or {}).get("story") for aid, _, extra in rows}
        for share in (0.15, 0.25, 0.35):
            tried = found = found_both = wrong = wrong_both = 0
            for aid, text, _ in rows[: args.excerpts]:
                part = excerpt(text, share)
                if part is None:
                    continue
                tried += 1
                same = {k for k, v in story.items() if v == story[aid]}
                lsh = check_text(archive, part)["matches"]
                both = check_text(archive, part, also=passage_candidates)["matches"]
                found += any(m["id"] in same for m in lsh)
                found_both += any(m["id"] in same for m in both)
                wrong += sum(m["id"] not in same for m in lsh)
                wrong_both += sum(m["id"] not in same for m in both)
            print(
                f"excerpts of ~{share:.0%}: {tried}; original found: LSH only {found} "
                f"({found / tried:.0%}), with passages {found_both} ({found_both / tried:.0%}); "
                f"matches of another story: {wrong} / {wrong_both}",
                flush=True,
            )
        archive.close()


if __name__ == "__main__":
    main()

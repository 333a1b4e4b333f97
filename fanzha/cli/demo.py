"""``fanzha demo``: the whole pipeline on the bundled samples.

Each step is a plain function call, so later stages (dedup, index) slot in as one
more line in ``demo``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .app import DbOpt, HomeOpt, app, cli_errors, console, settings

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def import_seeds(archive: Any) -> Any:
    """The two seed bulletins of the worked example (docs/contracts.md)."""
    from archive.importers.batch import import_paths

    report = import_paths(archive, [SAMPLES / "seeds"])
    for row in report.imported + report.updated + report.skipped:
        title = " ".join(str(row.get("title", "")).split())[:60]
        console.print(f"  [{row.get('status', 'skipped')}] #{row['id']} {title}", markup=False)
    console.print(
        f"seeds: {len(report.imported)} imported, {len(report.skipped)} already there, "
        f"{len(report.errors)} errors"
    )
    return report


def crawl_samples(archive: Any) -> Any:
    """Serve the bundled sample sites on 127.0.0.1 and crawl them (once per process)."""
    from crawler.profiles import read_profiles_file
    from crawler.runner import LOCAL_SITES, crawl

    from ..demo_server import serving, write_sample_sites
    from .crawling import _print_report

    with serving(SAMPLES / "sites") as base:
        console.print(f"sample sites served on {base}")
        sites = write_sample_sites(base, archive.home / "demo-sites.toml")
        report = crawl(archive, read_profiles_file(sites), settings=LOCAL_SITES)
    _print_report(report)
    return report


def dedup_all(archive: Any) -> Any:
    """Cluster the reposts and record what each changed."""
    from archive.dedup import run_dedup

    report = run_dedup(archive)
    console.print(
        f"dedup: {report.processed} articles, {report.clusters} clusters "
        f"({report.differences} differences recorded)"
    )
    return report


def index_all(archive: Any) -> Any:
    """Bring the search index up to date."""
    from search import update_index

    report = update_index(archive)
    console.print(f"index: {report.indexed} indexed, {report.total} in the index")
    return report


def show_examples(archive: Any) -> None:
    """One search, the largest cluster, and where to go next."""
    from archive.dedup.queries import list_clusters
    from search import search

    result = search(archive, "反诈", limit=5)
    console.print(f'search "反诈": {result["total"]} stories')
    for hit in result["hits"]:
        console.print(f"  #{hit['id']} {hit['title']} ({hit['copies']} copies)", markup=False)
    with archive.session() as s:
        clusters = list_clusters(s, limit=50)
    if clusters:
        biggest = max(clusters, key=lambda c: len(c["members"]))
        console.print(f"largest cluster #{biggest['id']}: {len(biggest['members'])} copies")
        for m in biggest["members"]:
            console.print(
                f"  #{m['id']} {m['relation']:<9} {m['similarity']:.2f} {m['title']}", markup=False
            )
    console.print(
        "next: fanzha search QUERY, fanzha dups, fanzha diff A B, fanzha serve "
        f"(all with --home {archive.home})"
    )


@app.command()
def demo(home: HomeOpt = None, db: DbOpt = None) -> None:
    """Run the pipeline on the bundled sample bulletins and sites, and show what it found.

    Imports the seed bulletins, serves the sample sites (a news portal, a GBK police
    site, a WeChat-mirror blog) on 127.0.0.1, crawls them, clusters the reposts,
    indexes everything and shows a search and the largest cluster.

    Example: fanzha demo --home /tmp/fanzha-demo
    """
    with cli_errors():
        archive = settings(home, db).open_archive()
        console.print(f"archive: {archive.home}")
        import_seeds(archive)
        crawl_samples(archive)
        dedup_all(archive)
        index_all(archive)
        show_examples(archive)

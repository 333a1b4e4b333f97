"""``fanzha demo``: the whole pipeline on the bundled samples."""

from __future__ import annotations

from pathlib import Path

from .app import DbOpt, HomeOpt, app, cli_errors, console, settings

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


@app.command()
def demo(home: HomeOpt = None, db: DbOpt = None) -> None:
    """Run the pipeline on the bundled sample bulletins and show what it found.

    Example: fanzha demo --home /tmp/fanzha-demo
    """
    from archive.importers.batch import import_paths

    with cli_errors():
        archive = settings(home, db).open_archive()
        report = import_paths(archive, [SAMPLES / "seeds"])
    console.print(f"archive: {archive.home}")
    for row in report.imported + report.updated + report.skipped:
        console.print(f"  [{row.get('status', 'skipped')}] #{row['id']} {row.get('title', '')}")
    console.print(
        f"{len(report.imported)} imported, {len(report.skipped)} already there, "
        f"{len(report.errors)} errors"
    )

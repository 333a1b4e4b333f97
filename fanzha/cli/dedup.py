"""``fanzha dedup``, ``dups``, ``diff`` and ``check``: near-duplicates and what changed."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlparse

import typer
from rich.markup import escape
from rich.table import Table

from .app import (
    DbOpt,
    HomeOpt,
    JsonOpt,
    app,
    cli_errors,
    console,
    emit_json,
    fail,
    read_archive,
    settings,
)

if TYPE_CHECKING:
    from archive.dedup.queries import ArticleDiff, ClusterDetail, ClusterSummary
    from archive.versions import VersionDiff


@app.command()
def dedup(
    rebuild: Annotated[bool, typer.Option(help="Recluster every article from scratch.")] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="Worker processes for a large run (default: FANZHA_WORKERS, else one "
            "per core beside this one, at most 2; 0: none).",
        ),
    ] = None,
    home: HomeOpt = None,
    db: DbOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Cluster new articles with their near-duplicates and record the differences.

    Incremental: only articles not seen by dedup yet (new or changed) are processed.

    Example: fanzha dedup --json
    """
    with cli_errors():
        from archive.dedup import run_dedup

        from ..jobs.lock import WriterLock

        config = settings(home, db)
        archive = read_archive(config)  # nothing to dedup in no archive
        with WriterLock(archive, "dedup"):  # never two writers at once (exit 3)
            processes = config.workers if workers is None else workers
            report = run_dedup(archive, rebuild=rebuild, workers=processes)
    if json_:
        emit_json(report.as_json())
    else:
        console.print(
            f"{report.processed} processed, {report.clusters} clusters "
            f"({report.new_clusters} new, {report.merged} merged), "
            f"{report.differences} differences recorded, {len(report.errors)} errors"
        )
        for e in report.errors:
            console.print(f"[red]error[/] article {e['id']}: {escape(e['error'])}")
    if report.errors:
        raise typer.Exit(1)


@app.command()
def dups(
    cluster: Annotated[int | None, typer.Argument(help="A cluster id.")] = None,
    limit: Annotated[int, typer.Option(help="Clusters to list.", min=1)] = 50,
    offset: Annotated[int, typer.Option(help="Clusters to skip.", min=0)] = 0,
    home: HomeOpt = None,
    db: DbOpt = None,
    json_: JsonOpt = False,
) -> None:
    """List clusters of near-duplicates (largest first), or one cluster with its members.

    Example: fanzha dups 3
    """
    with cli_errors():
        from archive.dedup import queries
        from archive.errors import NotFound
        from archive.lookup import MAX_ID

        if cluster is not None and not 1 <= cluster <= MAX_ID:  # no such id column value
            raise NotFound(f"no cluster with id {cluster}")
        if max(limit, offset) > MAX_ID:  # the driver would overflow
            fail(f"--limit and --offset must be at most {MAX_ID}")
        archive = read_archive(settings(home, db))
        with archive.session() as s:
            if cluster is None:
                data: Any = queries.list_clusters(s, limit=limit, offset=offset)
            else:
                data = queries.cluster_detail(s, cluster)
    if json_:
        emit_json(data)
        return
    if cluster is None:
        if not data:
            console.print("no clusters yet (run: fanzha dedup)")
        for c in data:
            _print_cluster(c)
    else:
        _print_cluster(data, detail=True)


def _print_cluster(c: ClusterSummary | ClusterDetail, detail: bool = False) -> None:
    console.print(f"[bold]cluster {c['id']}[/] — {c['size']} copies; {c['summary']}")
    table = Table(box=None, pad_edge=False)
    for col in (
        "id",
        "relation",
        "similarity",
        *(("published", "source", "parent") if detail else ()),
        "labels",
        "title",
    ):
        table.add_column(col, overflow="fold")  # a long Chinese title wraps, cut nowhere
    for m in c["members"]:
        style = "bold" if m["relation"] == "canonical" else ""
        row = [str(m["id"]), m["relation"], f"{m['similarity']:.2f}"]
        if detail:
            parent = "" if m["parent"] is None else str(m["parent"])
            row += [(m["published"] or "")[:10], m.get("source") or "", parent]
        row += [" ".join(m["labels"]), escape(m["title"] or "")]
        table.add_row(*row, style=style)
    console.print(table)


@app.command()
def lineage(
    cluster: Annotated[int, typer.Argument(help="A cluster id.")],
    home: HomeOpt = None,
    db: DbOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Show which copy of a cluster each copy was taken from, and the evidence.

    Evidence: publication times, attributions (来源：, 转自, 转载, 原标题, 据…报道) and
    shared edits. Example: fanzha lineage 3 --json
    """
    with cli_errors():
        from archive.dedup import queries
        from archive.dedup.lineage import tree
        from archive.errors import NotFound
        from archive.lookup import MAX_ID

        if not 1 <= cluster <= MAX_ID:
            raise NotFound(f"no cluster with id {cluster}")
        archive = read_archive(settings(home, db))
        with archive.session() as s:
            detail = queries.cluster_detail(s, cluster)
    keep = ("id", "title", "source", "published", "labels", "parent", "parent_evidence")
    members = [{k: m.get(k) for k in keep} for m in detail["members"]]
    if json_:
        emit_json(
            {
                "cluster": detail["id"],
                "canonical": detail["canonical"],
                "members": members,
                "tree": tree(members),
            }
        )
        return
    from rich.tree import Tree

    root = Tree(f"[bold]cluster {detail['id']}[/] — {detail.get('summary', '')}")

    def add(branch: Tree, node: dict[str, Any]) -> None:
        why = "; ".join(e["detail"] for e in node.get("parent_evidence") or [])
        label = (
            f"{node['id']} {escape(node.get('source') or '-')} "
            f"{(node.get('published') or '')[:16]} {escape(node.get('title') or '')}"
        )
        tags = " ".join(node.get("labels") or [])
        sub = branch.add(
            label
            + (f" [dim]({tags})[/]" if tags else "")
            + (f"\n[dim]← {escape(why)}[/]" if why else "")
        )
        for child in node["children"]:
            add(sub, child)

    for node in tree(members):
        add(root, node)
    console.print(root)


VERSION_REF = "Article id or URL; REF@N: version N of it (see fanzha versions)."


@app.command()
def diff(
    a: Annotated[str, typer.Argument(help=VERSION_REF)],
    b: Annotated[str, typer.Argument(help=VERSION_REF)],
    side_by_side: Annotated[
        bool, typer.Option("--side-by-side", help="Two columns instead of inline.")
    ] = False,
    home: HomeOpt = None,
    db: DbOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Show what changed between two articles (A's text on the left/red, B's green),
    or between two versions of one URL (REF@N: see fanzha versions).

    Example: fanzha diff 1 2; fanzha diff 7@1 7@2
    """
    with cli_errors():
        from archive.dedup import queries
        from archive.lookup import find_article
        from archive.versions import diff_versions, is_versioned

        archive = read_archive(settings(home, db))
        data: ArticleDiff | VersionDiff
        with archive.session() as s:
            if is_versioned(a) or is_versioned(b):
                data = diff_versions(s, a, b)
            else:
                ida, idb = find_article(s, a).id, find_article(s, b).id
                data = queries.diff_articles(s, ida, idb)
    if json_:
        emit_json(data)
        return
    _print_diff(data, side_by_side)


def _print_diff(data: ArticleDiff | VersionDiff, side_by_side: bool) -> None:
    a, b = data["a"], data["b"]
    la, lb = (f"{x['id']}@{x['version']}" if x.get("version") else x["id"] for x in (a, b))
    console.print(f"[red]A {la}[/] {escape(a['title'] or '')}  ({a.get('source') or '-'})")
    console.print(f"[green]B {lb}[/] {escape(b['title'] or '')}  ({b.get('source') or '-'})")
    labels = ", ".join(data.get("labels") or [])
    console.print(
        f"similarity {data['similarity']:.3f}, {len(data['changes'])} changes"
        + (f"; labels: {labels}" if labels else "")
    )
    for field, v in data["metadata"].items():
        console.print(f"  {field}: [red]{escape(str(v['a']))}[/] → [green]{escape(str(v['b']))}[/]")
    if side_by_side:
        table = Table(show_lines=True, expand=True)
        table.add_column("kind", no_wrap=True)
        table.add_column(f"A {a['id']}", overflow="fold", ratio=1)
        table.add_column(f"B {b['id']}", overflow="fold", ratio=1)
        for c in data["changes"]:
            table.add_row(
                f"{c.get('label') or c['kind']}\n{c['op']}",
                f"[dim]{escape(c['before'])}[/][red]{escape(c['a'])}[/][dim]{escape(c['after'])}[/]",
                f"[dim]{escape(c['before'])}[/][green]{escape(c['b'])}[/][dim]{escape(c['after'])}[/]",
            )
        console.print(table)
        return
    for n, c in enumerate(data["changes"], 1):
        old = f"[red strike]{escape(c['a'])}[/]" if c["a"] else ""
        new = f"[green]{escape(c['b'])}[/]" if c["b"] else ""
        arrow = " → " if old and new else ""
        extra = f", {c['paragraphs']} paragraph(s)" if c.get("paragraphs") else ""
        console.print(
            f"{n:>3}. [bold]{c['op']}[/] ({c.get('label') or c['kind']}{extra}) "
            f"[dim]…{escape(c['before'])}[/]{old}{arrow}{new}[dim]{escape(c['after'])}…[/]"
        )


@app.command()
def check(
    target: Annotated[str, typer.Argument(help="A URL, a file, or - for standard input.")],
    allow_private: Annotated[
        bool,
        typer.Option(
            "--allow-private",
            help="Let a URL reach private, loopback and link-local addresses "
            "(also FANZHA_ALLOW_PRIVATE_FETCH=1); refused by default.",
        ),
    ] = False,
    home: HomeOpt = None,
    db: DbOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Is this text already archived? Near-duplicates with similarity and relation.

    The text is not stored. A URL (http or https only) is fetched once, as the web
    check page fetches it: public addresses only unless --allow-private, no credentials,
    one deadline for the whole fetch, the body capped.

    Example: fanzha check article.txt
    """
    with cli_errors():
        from ..checking import fetcher_for, run_check

        config = settings(home, db)
        if allow_private:
            config = replace(config, allow_private_fetch=True)
        url, title, text = _read_target(target)
        archive = read_archive(config)
        data = run_check(archive, fetcher_for(config), text=text, url=url, title=title)
    data["input"].pop("text", None)  # the caller has it; the matches are the answer
    if json_:
        emit_json(data)
        return
    if not data["matches"]:
        console.print("no near-duplicate archived")
        return
    table = Table("id", "relation", "similarity", "containment", "cluster", "title", box=None)
    for m in data["matches"]:
        table.add_row(
            str(m["id"]),
            m["relation"],
            f"{m['similarity']:.2f}",
            f"{m['containment']:.2f}",
            str(m["cluster"] or ""),
            escape(m["title"] or ""),
        )
    console.print(table)
    if data["omitted"].get("matches"):
        console.print(f"({data['omitted']['matches']} more matches not shown)")


def _read_target(target: str) -> tuple[str | None, str | None, str | None]:
    """(URL, title, text) of a target: a URL to fetch, or a file's or stdin's text."""
    from archive.errors import InputError
    from archive.importers.files import read_document

    scheme = urlparse(target).scheme.lower()
    if "://" in target and scheme not in ("http", "https"):
        fail(f"{target}: only http and https URLs can be checked")
    if scheme in ("http", "https"):
        return target, None, None
    if target == "-":
        data = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read()
        if isinstance(data, str):
            data = data.encode()
        if not data.strip():
            raise InputError("standard input", "is empty")
        doc = read_document(Path("stdin.txt"), data, url="stdin:")
    else:
        path = Path(target)
        if not path.is_file():
            raise InputError(target, "no such file (give a file, a URL or -)")
        doc = read_document(path, path.read_bytes())
    return None, doc.title or None, doc.text

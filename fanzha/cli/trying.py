"""``fanzha try SITE URL``: what a site profile makes of one page, nothing stored."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from .app import JsonOpt, app, cli_errors, console, emit_json
from .crawling import SitesOpt

SHOWN_LINKS = 20


@app.command("try")
def try_(
    site: Annotated[str, typer.Argument(help="A site key (see 'fanzha sites').")],
    url: Annotated[str, typer.Argument(help="One page of that site (http or https).")],
    sites: SitesOpt = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the page.", min=1)] = 30,
    json_: JsonOpt = False,
) -> None:
    """Fetch one page and show what the site's profile makes of it, storing nothing.

    Article or list (and why), title, date, publisher, author, the head of the main
    text, the relevance verdict, and the links the crawl would follow. No archive is
    opened or created: check a new profile before its first crawl.

    Example: fanzha try szga https://ga.sz.gov.cn/ZWGK/QT/TZGG/ --sites my-sites.toml
    """
    with cli_errors():
        from crawler.profiles import load_profiles, select_profiles
        from crawler.trial import try_page

        profile = select_profiles(load_profiles(sites), [site])[0]
        trial = try_page(profile, url, timeout=timeout)
    if json_:
        emit_json(trial.as_json())
        return
    _print_trial(trial.as_json())


def _print_trial(t: dict[str, Any]) -> None:
    store = "[green]would be stored[/]" if t["would_store"] else "[yellow]not stored[/]"
    console.print(f"[bold]{escape(t['url'])}[/] (HTTP {t['status']}, {t['encoding'] or '?'})")
    console.print(f"route: {t['route']}; verdict: [bold]{t['verdict']}[/] — {store}")
    if t["reason"]:
        console.print(f"  {escape(t['reason'])}", soft_wrap=True)
    table = Table(box=None, show_header=False, pad_edge=False)
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    for label, key in (
        ("title", "title"),
        ("published", "published"),
        ("publisher", "publisher"),
        ("author", "author"),
    ):
        table.add_row(label, escape(str(t[key] or "—")))
    rel = t["relevance"]
    if rel:
        types = ", ".join(rel["fraud_types"]) or "—"
        verdict = "relevant" if rel["relevant"] else "off-topic"
        table.add_row("relevance", f"{verdict} (score {rel['score']}; {escape(types)})")
    table.add_row("text", f"{t['text_chars']} characters")
    console.print(table)
    if t["text_head"]:
        console.print(escape(t["text_head"]), soft_wrap=True)
    follows = t["follows"]
    console.print(f"[bold]links followed[/]: {len(follows)}")
    for link in follows[:SHOWN_LINKS]:
        console.print(f"  {link['as']:8} {escape(link['url'])}", soft_wrap=True)
    if len(follows) > SHOWN_LINKS:
        console.print(f"  … and {len(follows) - SHOWN_LINKS} more (--json lists them all)")
    if t["follows_note"]:
        console.print(f"  ({t['follows_note']})")

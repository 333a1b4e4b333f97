"""The Typer application, the options every command shares, and the error edge.

Commands live in one module per stage (``importing``, ``crawling``, ``dedup``,
``searching``, ``jobs``, ``web``, ``demo``) and register themselves on ``app``.
Library code raises specific exceptions; ``cli_errors`` turns each into a
one-line message on stderr and the exit code of the README (0 ok, 1 partly
failed, 2 bad usage or input, 3 another writer holds the lock).
"""

from __future__ import annotations

import errno
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from sqlalchemy.exc import OperationalError

from archive.errors import ArchiveError

from ..config import Settings

if TYPE_CHECKING:
    from archive import Archive

app = typer.Typer(
    name="fanzha",
    help="fanzha (反诈): crawl, archive, dedup and search Chinese anti-fraud bulletins.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

HomeOpt = Annotated[
    Path | None,
    typer.Option("--home", envvar="FANZHA_HOME", help="Data folder [default: ./fanzha-data]."),
]
DbOpt = Annotated[
    str | None,
    typer.Option("--db", envvar="FANZHA_DB", help="SQLAlchemy URL [default: SQLite in home]."),
]
JsonOpt = Annotated[
    bool, typer.Option("--json", help="Print one JSON document on stdout, nothing else.")
]

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def settings(home: Path | None, db: str | None, sites: Path | None = None) -> Settings:
    return Settings.load(home, db, sites)


def read_archive(conf: Settings) -> Archive:
    """The archive of a read command (search, dups, export, runs, serve…): one that
    exists, or ``ArchiveMissing`` (exit 2) naming the home; a mistyped ``--home``
    never becomes a new empty archive. Write commands use ``conf.open_archive()``."""
    from archive import Archive

    return Archive.open(conf.home, conf.db_url, create=False, busy_timeout=conf.busy_timeout)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print ``fanzha: error: message`` on stderr and exit with ``code``."""
    err_console.print(f"fanzha: error: {message}", markup=False, soft_wrap=True)
    raise typer.Exit(code)


@contextmanager
def cli_errors() -> Iterator[None]:
    """Turn the library's exceptions into one-line messages and exit codes."""
    try:
        yield
    except typer.Exit:
        raise
    except ArchiveError as exc:
        fail(str(exc), getattr(exc, "exit_code", 2))
    except KeyboardInterrupt:
        fail("interrupted", 130)
    except OperationalError as exc:  # the database failed under us (disk full, server gone)
        reason = str(exc.orig or exc).strip().splitlines()[0]
        if "full" in reason.lower():
            fail(f"no space left for the database ({reason}); what was stored before is intact", 1)
        if "locked" in reason.lower():  # waited the whole busy timeout for another writer
            fail(f"{reason}: another process kept writing to the archive; try again later", 3)
        fail(f"database error: {reason}", 1)
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            fail("no space left on device; nothing half-written was kept", 1)
        fail(f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": "))


def emit_json(data: Any) -> None:
    """Write one JSON document to stdout (UTF-8, Chinese unescaped)."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, default=str, indent=None))
    sys.stdout.write("\n")
    sys.stdout.flush()

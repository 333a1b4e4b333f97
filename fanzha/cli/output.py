"""What long jobs (``crawl``, ``nightly``) show on the terminal while they run.

Only fanzha's own log records reach stderr, each as one line (its first line, never a
traceback): Scrapy's and Twisted's records (the start-up dump of versions and
settings, a robots.txt download that failed with its traceback) stay in the run's log
file, where the details belong. On a terminal, Rich progress bars show each stage:
done/total, a bar and the time left when the total is known (dedup, index), the count
of pages and the time spent when it is not (a site's crawl); off a terminal (cron,
pipes), plain log lines instead.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from rich.console import Console
from rich.logging import RichHandler
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from .app import err_console

# The lowest level shown on the terminal for the loggers of fanzha's own packages (the
# application's steps; the libraries' problems). Any other logger's records (scrapy,
# twisted, py.warnings, ...) only go to the log file.
OWN_LOGGERS = {
    "fanzha": logging.INFO,
    "crawler": logging.WARNING,
    "archive": logging.WARNING,
    "search": logging.WARNING,
}


class OwnRecordsOnly(logging.Filter):
    """Passes records of fanzha's own loggers at or above their terminal level."""

    def filter(self, record: logging.LogRecord) -> bool:
        lowest = OWN_LOGGERS.get(record.name.split(".", 1)[0])
        return lowest is not None and record.levelno >= lowest


class OneLineFormatter(logging.Formatter):
    """The first line of the message; no traceback, no stack (they are in the log)."""

    def format(self, record: logging.LogRecord) -> str:
        line = (record.getMessage().strip().splitlines() or [""])[0]
        stamp = self.formatTime(record, self.datefmt) if self.datefmt else ""
        return f"{stamp} {record.levelname} {line}".lstrip()


class OneLineRichHandler(RichHandler):
    """RichHandler that prints the first line of a message and never a traceback."""

    def emit(self, record: logging.LogRecord) -> None:
        line = (record.getMessage().strip().splitlines() or [""])[0]
        record = logging.makeLogRecord(
            {**record.__dict__, "msg": line, "args": None, "exc_info": None, "exc_text": None}
        )
        super().emit(record)


class CountColumn(ProgressColumn):
    """``done/total`` when the total is known; ``done pages`` when it is not."""

    def render(self, task: Task) -> Text:
        if task.total is None or task.fields.get("open_ended"):
            return Text(f"{int(task.completed)} {task.fields.get('unit', '')}".rstrip())
        return Text(f"{int(task.completed)}/{int(task.total)}")


class TimeColumn(ProgressColumn):
    """Time left when the total is known, else time spent."""

    def __init__(self) -> None:
        super().__init__()
        self.left = TimeRemainingColumn()
        self.spent = TimeElapsedColumn()

    def render(self, task: Task) -> Text:
        if task.total is None or task.finished or task.fields.get("open_ended"):
            return self.spent.render(task)
        return Text.assemble("eta ", self.left.render(task))


def progress_bars(console: Console) -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description:<24}"),
        BarColumn(),
        CountColumn(),
        TimeColumn(),
        console=console,
    )


class StageProgress:
    """``progress(stage, done, total)`` for a long job, and its terminal log.

    Rich bars on a terminal, plain log lines on stderr otherwise (cron, pipes); while
    active, fanzha's own log records at ``level`` and up go to stderr as one line each
    (see ``OWN_LOGGERS``), and nothing of Scrapy's or Twisted's does.
    """

    def __init__(
        self, *, bars: bool = True, level: int = logging.INFO, console: Console | None = None
    ) -> None:
        self.console = console or err_console
        stream = self.console.file
        self.tty = bars and self.console.is_terminal
        self.tasks: dict[str, Any] = {}
        self.last: dict[str, int] = {}
        self.bars: Progress | None = progress_bars(self.console) if self.tty else None
        if self.tty:
            self.handler: logging.Handler = OneLineRichHandler(
                console=self.console, show_path=False
            )
        else:
            self.handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
            self.handler.setFormatter(OneLineFormatter(datefmt="%H:%M:%S"))
        self.handler.setLevel(level)
        self.handler.addFilter(OwnRecordsOnly())

    def __enter__(self) -> StageProgress:
        root = logging.getLogger()
        if root.level > logging.INFO or root.level == logging.NOTSET:
            root.setLevel(logging.INFO)
        root.addHandler(self.handler)
        if self.bars is not None:
            self.bars.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bars is not None:
            self._close_open_ended()
            self.bars.stop()
        logging.getLogger().removeHandler(self.handler)

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        if self.bars is not None:
            if stage not in self.tasks:
                if not stage.startswith("crawl "):
                    self._close_open_ended()  # the crawl is over when the next stage starts
                self.tasks[stage] = self.bars.add_task(
                    stage, total=total, unit="pages" if total is None else ""
                )
            self.bars.update(self.tasks[stage], completed=done, total=total)
            return
        step = max(1, (total or 1000) // 10)
        if not done:  # nothing done yet is no news (a site that is down says so once)
            return
        if done - self.last.get(stage, -step) >= step or (total and done == total):
            self.last[stage] = done
            shown = f"/{total}" if total else " pages"
            self.handler.handle(  # the terminal only, whatever the handler's level
                logging.makeLogRecord(
                    {"name": "fanzha.progress", "levelno": logging.INFO, "levelname": "INFO",
                     "msg": "%s: %d%s", "args": (stage, done, shown)}
                )
            )  # fmt: skip

    def _close_open_ended(self) -> None:
        """Stop the spinners of tasks without a total (a site's crawl that ended)."""
        assert self.bars is not None
        for task in self.bars.tasks:
            if task.total is None:
                self.bars.update(task.id, total=task.completed, open_ended=True)

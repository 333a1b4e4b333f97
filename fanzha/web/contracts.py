"""The other areas' functions the web UI calls, looked up when a request needs them.

Dedup (``archive.dedup.queries``, ``archive.lookup``) and Search (``search``) are
separate stages; the web app imports them lazily so that it starts, and every page
that does not need them works, even where a stage is not built yet. A route whose
stage is missing answers 503 with a one-line reason (``NotBuiltYet``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from ..errors import NotBuiltYet

SEARCH = ("search", "search", "issue 4")
LIST_CLUSTERS = ("archive.dedup.queries", "list_clusters", "issue 3")
CLUSTER_DETAIL = ("archive.dedup.queries", "cluster_detail", "issue 3")
DIFF_ARTICLES = ("archive.dedup.queries", "diff_articles", "issue 3")
CHECK_TEXT = ("archive.dedup.queries", "check_text", "issue 3")
FIND_ARTICLE = ("archive.lookup", "find_article", "issue 3")


def _lookup(module: str, name: str) -> Callable[..., Any] | None:
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        # Only "the module is not there yet"; a missing dependency inside it is a bug.
        if exc.name and (module == exc.name or module.startswith(exc.name + ".")):
            return None
        raise
    fn = getattr(mod, name, None)
    return fn if callable(fn) else None


def available(spec: tuple[str, str, str]) -> bool:
    """True when the contract function ``spec`` exists (tests skip on False)."""
    return _lookup(spec[0], spec[1]) is not None


def get(spec: tuple[str, str, str]) -> Callable[..., Any]:
    """The contract function ``spec``, or NotBuiltYet naming the stage that is missing."""
    module, name, issue = spec
    fn = _lookup(module, name)
    if fn is None:
        raise NotBuiltYet(f"{module}.{name} is not built yet ({issue})")
    return fn

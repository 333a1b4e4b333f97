"""The Whoosh schema of the search index.

``title`` and ``body`` are character-bigram fields (``search.analysis.BigramField``,
term frequencies only): exact substring recall for Chinese. ``title_key`` and
``body_key`` are their run keys (``search.analysis.run_key``), one column value per
document, against which phrase candidates are checked. The body indexed is the
archive's normalised text; snippets are cut from the readable text in the archive, so
the index stores no body.
``cluster`` is the collapse key (``c<cluster id>``, or ``a<article id>`` for an article
in no cluster yet). ``source`` holds the source's name and key as two terms (the
publisher the page names); ``site`` the site profile key it was crawled from.
``info`` is one column per document with what a result scan needs without touching
stored fields (cluster, canonical flag, source name, year, fraud types, date, site,
indicators): see ``search.query``.
``i_phone``, ``i_url``, ``i_app``, ... (``INDICATOR_FIELDS``) hold the indicators the
article names (``archive.indicators``), each value one exact keyword (lower-cased), for
``phone:``, ``app:`` ... in queries.
"""

from __future__ import annotations

from whoosh import columns
from whoosh.fields import BOOLEAN, COLUMN, DATETIME, ID, KEYWORD, NUMERIC, Schema

from archive.extract.indicators import KINDS

from .analysis import BigramField

# One keyword field per indicator kind (``i_`` keeps ``url`` free for the article's URL).
INDICATOR_FIELDS = {kind: f"i_{kind}" for kind in KINDS}


def build_schema() -> Schema:
    """The schema of a new index (``FORMAT``)."""
    keywords = {
        name: KEYWORD(lowercase=True, commas=True, scorable=False)
        for name in INDICATOR_FIELDS.values()
    }
    return Schema(
        **keywords,
        id=ID(stored=True, unique=True),
        url=ID(stored=True),
        title=BigramField(field_boost=2.0, stored=True),
        body=BigramField(),
        source=KEYWORD(lowercase=True, commas=True, scorable=False, stored=True),
        site=KEYWORD(lowercase=True, commas=True, scorable=False, stored=True),
        kind=ID(stored=True),
        published=DATETIME(stored=True),
        fraud_type=KEYWORD(commas=True, scorable=False, stored=True),
        cluster=ID(stored=True),
        canonical=BOOLEAN(stored=True),
        copies=NUMERIC(int, stored=True),
        info=COLUMN(columns.VarBytesColumn()),
        title_key=COLUMN(columns.VarBytesColumn()),
        body_key=COLUMN(columns.VarBytesColumn()),
    )


# The index format: bumped when the schema changes in a way old indexes cannot serve
# (2: frequency-only bigram fields and run-key columns instead of positions; 3: a
# ``site`` field and the site in ``info``; 4: indicator fields and indicators in ``info``).
FORMAT = 4
KEY_COLUMNS = {"title": "title_key", "body": "body_key"}


def is_current(schema: Schema) -> bool:
    """Whether an index with this schema was written in the current ``FORMAT``."""
    return "i_phone" in schema and all(col in schema for col in KEY_COLUMNS.values())

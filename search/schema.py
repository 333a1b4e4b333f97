"""The Whoosh schema of the search index.

``title`` and ``body`` are character-bigram fields (``search.analysis.BigramField``):
exact substring recall for Chinese. The body indexed is the archive's normalised text;
snippets are cut from the readable text in the archive, so the index stores no body.
``cluster`` is the collapse key (``c<cluster id>``, or ``a<article id>`` for an article
in no cluster yet). ``source`` holds the source's name and key as two terms.
``info`` is one column per document with what a result scan needs without touching
stored fields (cluster, canonical flag, source name, year, fraud types, date): see
``search.query``.
"""

from __future__ import annotations

from whoosh import columns
from whoosh.fields import BOOLEAN, COLUMN, DATETIME, ID, KEYWORD, NUMERIC, Schema

from .analysis import BigramField


def build_schema() -> Schema:
    return Schema(
        id=ID(stored=True, unique=True),
        url=ID(stored=True),
        title=BigramField(field_boost=2.0, stored=True),
        body=BigramField(),
        source=KEYWORD(lowercase=True, commas=True, scorable=False, stored=True),
        kind=ID(stored=True),
        published=DATETIME(stored=True),
        fraud_type=KEYWORD(commas=True, scorable=False, stored=True),
        cluster=ID(stored=True),
        canonical=BOOLEAN(stored=True),
        copies=NUMERIC(int, stored=True),
        info=COLUMN(columns.VarBytesColumn()),
    )

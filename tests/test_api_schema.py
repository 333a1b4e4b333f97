"""Schemathesis against ``/openapi.json``: generated requests to every API operation,
over a real archive (the seeds and generated bulletins imported, Dedup and the index
run; ``webutil.build_archive``). No generated request may get a server error (5xx).

Bounded: a few examples per operation (about 20 s in all), so ``make test`` runs it.
URLs in ``POST /api/check`` bodies are dropped before sending: a generated host name
would be looked up in DNS, and tests reach nothing beyond 127.0.0.1.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from .webutil import client, ids, site

FIXTURES = (site, client, ids)  # module-scoped fixtures over one test archive, from webutil
EXAMPLES = 12  # per operation and mode


def without_urls(case) -> None:
    """A check body without its URL (a generated host would be looked up in DNS)."""
    if case.path == "/api/check" and isinstance(case.body, dict):
        case.body.pop("url", None)


# Each operation gets its own Hypothesis run (not schemathesis.pytest.from_fixture: its
# lazy loader reads a private attribute that pytest 9 no longer has).
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_generated_request_gets_a_server_error(site, mode):
    schema = schemathesis.openapi.from_asgi("/openapi.json", site[0].app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 9, [op.label for op in operations]
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,  # the same requests every run: a failure is reproducible
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def call(case) -> None:
            without_urls(case)
            case.call_and_validate(checks=[not_a_server_error])

        try:
            call()
        except Unsatisfiable:
            assert mode is GenerationMode.NEGATIVE  # no input to get wrong (GET /api/stats)

"""The shapes that cross a layer are typed once, by the package that produces them
(TypedDicts), and the API's pydantic models mirror them field for field, so
``/openapi.json`` documents what the API really sends and the two cannot drift."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from archive.dedup.lineage import Reason
from archive.dedup.queries import (
    ArticleDiff,
    CheckDiff,
    CheckMatch,
    ClusterDetail,
    ClusterMember,
    ClusterMemberDetail,
    ClusterSummary,
    DiffSide,
)
from archive.diff import Change
from archive.indicators import IndicatorSummaryJson, NamedIndicator
from archive.runs import RunError, RunJson
from fanzha.checking.check import CheckAnswer, CheckInput
from fanzha.web import api
from fanzha.web.intel import Bulletin, IndicatorDetail
from search.types import SearchHit, SearchResult

from .webutil import client, ids, site

FIXTURES = (site, client, ids)  # module-scoped fixtures over one test archive, from webutil

# (pydantic model, the TypedDict it mirrors)
MIRRORS = [
    (api.Hit, SearchHit),
    (api.SearchOut, SearchResult),
    (api.IndicatorOut, NamedIndicator),
    (api.IndicatorSummaryOut, IndicatorSummaryJson),
    (api.BulletinOut, Bulletin),
    (api.IndicatorDetailOut, IndicatorDetail),
    (api.ChangeOut, Change),
    (api.DiffSideOut, DiffSide),
    (api.DiffOut, ArticleDiff),
    (api.EvidenceOut, Reason),
    (api.MemberOut, ClusterMember),
    (api.MemberDetailOut, ClusterMemberDetail),
    (api.ClusterOut, ClusterSummary),
    (api.ClusterDetailOut, ClusterDetail),
    (api.MatchOut, CheckMatch),
    (api.CheckDiffOut, CheckDiff),
    (api.CheckInputOut, CheckInput),
    (api.CheckOut, CheckAnswer),
    (api.RunErrorOut, RunError),
    (api.RunOut, RunJson),
]


@pytest.mark.parametrize(("model", "shape"), MIRRORS, ids=lambda x: x.__name__)
def test_the_api_model_has_the_typed_shape_keys(model: type[BaseModel], shape: type) -> None:
    assert list(model.model_fields) == list(shape.__annotations__)
    optional = set(shape.__optional_keys__)
    required = {k for k, f in model.model_fields.items() if f.is_required()}
    assert not optional & required, f"{sorted(optional & required)} may be absent"


def test_openapi_documents_every_search_hit_field(client):
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert set(schemas["Hit"]["properties"]) == set(SearchHit.__annotations__)
    assert set(schemas["SearchOut"]["properties"]) == set(SearchResult.__annotations__)


def test_a_search_answer_has_exactly_the_typed_keys(client):
    got = client.get("/api/search", params={"q": "冒充客服"}).json()
    assert set(got) - set(SearchResult.__optional_keys__) == set(SearchResult.__required_keys__)
    assert got["hits"]
    for hit in got["hits"]:
        assert set(hit) == set(SearchHit.__annotations__)
        for named in hit["indicators"]:
            assert set(named) == set(NamedIndicator.__annotations__)


def test_a_diff_answer_has_exactly_the_typed_keys(client, ids):
    story_a, story_b, other = ids["story_a.md"], ids["story_b.md"], ids["gen_00.md"]
    recorded = []
    for a, b in [(story_a, story_b), (story_b, story_a), (story_a, other)]:
        got = client.get("/api/diff", params={"a": a, "b": b}).json()
        recorded.append(got["recorded"])
        assert set(ArticleDiff.__required_keys__) <= set(got) <= set(ArticleDiff.__annotations__)
        assert set(got["a"]) == set(got["b"]) == set(DiffSide.__annotations__)
        assert got["changes"]
        for change in got["changes"]:
            assert set(Change.__required_keys__) <= set(change) <= set(Change.__annotations__)
    assert recorded[-1] is False  # computed now: with containment and relation


def test_clusters_answers_have_exactly_the_typed_keys(client):
    listed = client.get("/api/clusters").json()
    assert listed
    for cluster in listed:
        assert set(cluster) == set(ClusterSummary.__annotations__)
        for member in cluster["members"]:
            assert set(member) == set(ClusterMember.__annotations__)
        detail = client.get(f"/api/clusters/{cluster['id']}").json()
        assert set(detail) == set(ClusterDetail.__annotations__)
        for member in detail["members"]:
            assert set(member) == set(ClusterMemberDetail.__annotations__)
            for reason in member["parent_evidence"]:
                assert set(reason) == set(Reason.__annotations__)


def test_indicator_answers_have_exactly_the_typed_keys(client):
    rows = client.get("/api/indicators").json()
    assert rows
    for row in rows[:3]:
        assert set(row) == set(IndicatorSummaryJson.__annotations__)
        detail = client.get(f"/api/indicators/{row['kind']}/{row['value']}").json()
        assert set(detail) == set(IndicatorDetail.__annotations__)
        assert set(detail["summary"]) == set(IndicatorSummaryJson.__annotations__)
        for bulletin in detail["bulletins"]:
            assert set(bulletin) == set(Bulletin.__annotations__)


def test_a_check_answer_has_exactly_the_typed_keys(client, ids):
    story = client.get(f"/api/articles/{ids['story_b.md']}").json()["text"]
    got = client.post("/api/check", json={"text": story}).json()
    assert set(got) == set(CheckAnswer.__annotations__)  # diff too: the story matched
    assert set(got["input"]) == set(CheckInput.__annotations__)
    for match in got["matches"]:
        assert set(match) == set(CheckMatch.__annotations__)
    assert set(got["diff"]) == set(CheckDiff.__annotations__)


def test_runs_answers_have_exactly_the_typed_keys(client):
    runs = client.get("/api/runs").json()
    assert runs
    for run in runs:
        assert set(run) == set(RunJson.__annotations__)  # with the first errors
        detail = client.get(f"/api/runs/{run['run']}").json()
        assert set(detail) == set(RunJson.__annotations__)
        for error in detail["error_list"]:
            assert set(error) == set(RunError.__annotations__)

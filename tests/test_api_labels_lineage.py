"""/api/clusters and /api/diff carry the change labels and the lineage (issue 14
items 2 and 3), and the clusters can be filtered by what their copies changed."""

from __future__ import annotations

from .webutil import client, ids, site  # noqa: F401

SEED_WECHAT, SEED_CHINACOM = "000_48b3d1093c5a9dfd.txt", "001_72b5590c4af24436.txt"


def _seed_cluster(clusters, chinacom):
    return next(c for c in clusters if any(m["id"] == chinacom for m in c["members"]))


def test_api_clusters_carry_labels_parent_and_filter(client, ids):  # noqa: F811
    wechat, chinacom = ids[SEED_WECHAT], ids[SEED_CHINACOM]
    clusters = client.get("/api/clusters").json()
    seeds = _seed_cluster(clusters, chinacom)
    members = {m["id"]: m for m in seeds["members"]}
    assert {"wording", "numbers", "header", "signoff"} <= set(members[wechat]["labels"])
    assert members[wechat]["parent"] == chinacom
    assert members[wechat]["parent_evidence"][0]["type"] == "canonical"
    assert members[chinacom]["parent"] is None and members[chinacom]["labels"] == []
    assert seeds["substantive"] is True and "changed wording" in seeds["summary"]
    detail = client.get(f"/api/clusters/{seeds['id']}").json()
    assert {m["id"]: m["parent"] for m in detail["members"]}[wechat] == chinacom
    substance = client.get("/api/clusters?changed=substance").json()
    assert seeds["id"] in [c["id"] for c in substance]
    assert all(c["substantive"] for c in substance)
    form = client.get("/api/clusters?changed=form").json()
    assert seeds["id"] not in [c["id"] for c in form]
    assert not any(c["substantive"] for c in form)
    bad = client.get("/api/clusters?changed=everything")
    assert bad.status_code in (400, 422)


def test_api_diff_changes_carry_a_label(client, ids):  # noqa: F811
    wechat, chinacom = ids[SEED_WECHAT], ids[SEED_CHINACOM]
    diff = client.get(f"/api/diff?a={chinacom}&b={wechat}").json()
    labels = {(c["a"], c["b"]): c["label"] for c in diff["changes"]}
    assert labels[("2019年", "019年")] == "numbers"
    assert labels[("16个省份", "16个地区")] == "wording"
    assert diff["labels"][:4] == ["header", "signoff", "wording", "numbers"]

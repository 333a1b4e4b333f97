"""``fanzha dedup``, ``dups``, ``diff`` and ``check`` from the command line."""

from __future__ import annotations

import json
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from .conftest import run
from .test_dedup import SEEDS_REPORT


@pytest.fixture
def deduped(cli, home, db_url, seeds) -> list[str]:
    """The seeds imported and deduplicated; the options every command takes."""
    opts = ["--home", str(home)] + (["--db", db_url] if db_url else [])
    assert run(cli, "import", seeds, *opts).exit_code == 0
    return opts


def test_dedup_json(cli, deduped):
    result = run(cli, "dedup", *deduped, "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == SEEDS_REPORT
    again = json.loads(run(cli, "dedup", *deduped, "--json").stdout)
    assert again["processed"] == 0 and again["clusters"] == 1


def test_dups_list_and_detail(cli, deduped):
    run(cli, "dedup", *deduped)
    listed = json.loads(run(cli, "dups", *deduped, "--json").stdout)
    assert len(listed) == 1
    cluster = listed[0]
    assert set(cluster) >= {"id", "canonical", "members"}
    assert {m["relation"] for m in cluster["members"]} == {"canonical", "near"}
    for m in cluster["members"]:
        assert set(m) >= {"id", "url", "title", "similarity", "relation"}
    detail = json.loads(run(cli, "dups", str(cluster["id"]), *deduped, "--json").stdout)
    # date-only values shown as the day they name (once shown as the day before, in UTC)
    assert [m["published"] for m in detail["members"]] == ["2022-05-11", "2022-05-15"]
    assert all("containment" in m and "source" in m for m in detail["members"])
    human = run(cli, "dups", str(cluster["id"]), *deduped)
    assert human.exit_code == 0 and "canonical" in human.stdout and "中国网" in human.stdout


def test_dups_unknown_cluster_is_exit_2(cli, deduped):
    result = run(cli, "dups", "999", *deduped)
    assert result.exit_code == 2
    assert result.stderr.strip() == "fanzha: error: no cluster with id 999"


def test_diff_by_url_json_and_human(cli, deduped, seeds):
    run(cli, "dedup", *deduped)
    a = (seeds / "000_48b3d1093c5a9dfd.txt").resolve().as_uri()
    result = run(cli, "diff", a, "2", *deduped, "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) >= {"a", "b", "similarity", "changes", "metadata"}
    assert data["a"]["id"] == 1 and data["b"]["id"] == 2
    pairs = {(c["a"], c["b"]) for c in data["changes"]}
    assert {("防诈反诈", "反诈反诈"), ("019年", "2019年"), ("16个地区", "16个省份")} <= pairs
    assert all(c["op"] in ("replace", "insert", "delete") for c in data["changes"])
    # the other way round: the same changes, mirrored
    back = json.loads(run(cli, "diff", "2", a, *deduped, "--json").stdout)
    assert {(c["b"], c["a"]) for c in back["changes"]} == pairs
    human = run(cli, "diff", "1", "2", *deduped)
    assert human.exit_code == 0 and "2019年" in human.stdout and "header" in human.stdout
    side = run(cli, "diff", "1", "2", "--side-by-side", *deduped)
    assert side.exit_code == 0 and "海南16个地区" in side.stdout.replace("\n", "")


@pytest.mark.parametrize(
    ("a", "b", "message"),
    [
        ("1", "99", "no article with id 99"),
        ("https://nowhere.example/x", "1", "no article with URL https://nowhere.example/x"),
    ],
)
def test_diff_unknown_article_is_one_line_exit_2(cli, deduped, a, b, message):
    result = run(cli, "diff", a, b, *deduped)
    assert result.exit_code == 2
    assert result.stderr.strip() == f"fanzha: error: {message}"


def test_check_file_and_stdin(cli, deduped, seeds, tmp_path):
    run(cli, "dedup", *deduped)
    text = (seeds / "001_72b5590c4af24436.txt").read_text(encoding="utf-8")
    edited = tmp_path / "edited.txt"
    edited.write_text("来源：某某日报\n" + text.replace("16个省份", "16个地区"), encoding="utf-8")
    result = run(cli, "check", edited, *deduped, "--json")
    assert result.exit_code == 0, result.stderr
    matches = json.loads(result.stdout)["matches"]
    assert [m["id"] for m in matches] == [2, 1]
    assert matches[0]["relation"] == "near" and matches[0]["similarity"] > 0.9
    for m in matches:
        assert set(m) >= {"id", "url", "title", "similarity", "containment", "relation"}
    # a truncated copy on standard input: a partial copy
    half = "\n".join(text.splitlines()[:26])  # about 40%: LSH finds it (not below ~30%)
    partial = json.loads(run(cli, "check", "-", *deduped, "--json", input=half).stdout)
    assert partial["matches"][0]["relation"] == "partial"
    assert partial["matches"][0]["containment"] > 0.9
    other = run(
        cli,
        "check",
        "-",
        *deduped,
        "--json",
        input="今天天气晴朗，适合出门散步，公园里的花都开了。" * 3,
    )
    assert json.loads(other.stdout)["matches"] == []
    # nothing was stored
    assert json.loads(run(cli, "dedup", *deduped, "--json").stdout)["processed"] == 0


@pytest.fixture
def http_root(tmp_path: Path):
    root = tmp_path / "www"
    root.mkdir()
    handler = partial(SimpleHTTPRequestHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_check_url_on_a_local_server(cli, deduped, seeds, http_root):
    run(cli, "dedup", *deduped)
    root, base = http_root
    text = (seeds / "001_72b5590c4af24436.txt").read_text(encoding="utf-8")
    paras = "".join(f"<p>{p}</p>" for p in text.splitlines() if p.strip())
    page = f"<html><head><title>转载</title></head><body><div>{paras}</div></body></html>"
    (root / "page.html").write_text(page, encoding="utf-8")
    # loopback is inside the network: refused unless explicitly allowed
    refused = run(cli, "check", f"{base}/page.html", *deduped, "--json")
    assert refused.exit_code == 2 and refused.stdout == ""
    assert "non-public address 127.0.0.1" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    result = run(cli, "check", f"{base}/page.html", *deduped, "--json", "--allow-private")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["matches"][0]["id"] == 2
    assert data["input"]["fetched_url"] == f"{base}/page.html" and data["omitted"] == {}
    missing = run(cli, "check", f"{base}/missing.html", *deduped, "--allow-private")
    assert missing.exit_code == 2 and "HTTP 404" in missing.stderr


def test_check_url_opt_in_by_environment_and_no_credentials_sent(
    cli, deduped, http_root, monkeypatch
):
    root, base = http_root
    (root / "page.html").write_text("<p>x</p>", encoding="utf-8")
    with_credentials = base.replace("http://", "http://editor:secret@") + "/page.html"
    monkeypatch.setenv("FANZHA_ALLOW_PRIVATE_FETCH", "1")
    result = run(cli, "check", with_credentials, *deduped)
    assert result.exit_code == 2 and "user name or password" in result.stderr
    result = run(cli, "check", f"{base}/page.html", *deduped)
    assert "non-public" not in result.stderr  # the environment opened loopback


@pytest.mark.parametrize(
    ("target", "stdin", "message"),
    [
        ("-", "", "standard input: is empty"),
        ("-", "   \n", "standard input: is empty"),
        ("-", "短", "text: is too short to compare"),
        ("ftp://example.com/a.txt", None, "only http and https URLs"),
        ("file:///etc/passwd", None, "only http and https URLs"),
        ("no/such/file.txt", None, "no such file"),
    ],
)
def test_check_bad_input_is_one_line_exit_2(cli, deduped, target, stdin, message):
    result = run(cli, "check", target, *deduped, input=stdin)
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_check_unreachable_url_is_exit_2(cli, deduped):
    result = run(cli, "check", "http://127.0.0.1:9/x.html", *deduped, "--allow-private")
    assert result.exit_code == 2 and "cannot fetch" in result.stderr


def test_dedup_workers_option_and_environment(cli, deduped, monkeypatch):
    bad = run(cli, "dedup", *deduped, "--workers", "-1")
    assert bad.exit_code == 2
    monkeypatch.setenv("FANZHA_WORKERS", "two")
    result = run(cli, "dedup", *deduped, "--json")
    assert result.exit_code == 2 and result.stdout == ""
    assert "FANZHA_WORKERS='two' is not a number of processes" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    monkeypatch.setenv("FANZHA_WORKERS", "0")
    result = run(cli, "dedup", *deduped, "--workers", "1", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == SEEDS_REPORT

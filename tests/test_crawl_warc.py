"""WARC files: records written as they come, read back by reference, rotated by size,
readable after a writer dies mid-record; ``fanzha import FILE.warc`` on bad input."""

from __future__ import annotations

import os

import pytest

from archive.errors import NotFound
from archive.importers.batch import import_paths
from archive.rawstore import RawStore
from archive.warcstore import WarcWriter, iter_responses, read_record, read_response

from .conftest import run

GBK_PAGE = (
    '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
    "<title>反诈提醒</title></head><body><h1>警惕刷单返利诈骗</h1><p>发布时间：2024-03-15 09:30</p>"
    + "<p>刷单返利是诈骗，所有要求先垫付资金的网络兼职都是诈骗，请勿向陌生账户转账。</p>" * 6
    + "</body></html>"
).encode("gbk")


def test_records_read_back_by_reference(tmp_path):
    w = WarcWriter(tmp_path)
    ref1 = w.write_response(
        "http://a.test/1.html", 200, "OK", [("Content-Type", "text/html")], GBK_PAGE
    )
    ref2 = w.write_response("http://a.test/2.html", 404, "Not Found", [], b"gone")
    w.close()
    assert ref1.startswith("warc:fanzha-") and ref1.endswith("#" + ref1.rsplit("#", 1)[1])
    assert read_record(tmp_path, ref1) == GBK_PAGE  # the bytes as they came
    rec = read_response(tmp_path, ref2)
    assert (rec.url, rec.status, rec.body) == ("http://a.test/2.html", 404, b"gone")


def test_rawstore_get_follows_warc_refs(tmp_path):
    home = tmp_path / "home"
    w = WarcWriter(home / "warc")
    ref = w.write_response("http://a.test/1.html", 200, "OK", [], b"<p>x</p>")
    w.close()
    assert RawStore(home / "raw").get(ref) == b"<p>x</p>"


def test_files_rotate_at_the_size_limit(tmp_path):
    w = WarcWriter(tmp_path, max_size=20_000)
    bodies = [GBK_PAGE + os.urandom(8000) for _ in range(12)]  # gzip cannot shrink these
    refs = [
        w.write_response(f"http://a.test/{n}.html", 200, "OK", [], b) for n, b in enumerate(bodies)
    ]
    w.close()
    files = sorted(tmp_path.glob("*.warc.gz"))
    assert len(files) > 2 and len({r.split("#")[0] for r in refs}) == len(files)
    assert [read_record(tmp_path, r) for r in refs] == bodies


def test_a_killed_writer_leaves_its_complete_records_readable(tmp_path):
    w = WarcWriter(tmp_path)
    for n in range(3):
        w.write_response(f"http://a.test/{n}.html", 200, "OK", [], GBK_PAGE)
    # no close(): the process dies here, in the middle of a fourth record
    path = next(tmp_path.glob("*.warc.gz"))
    path.write_bytes(path.read_bytes() + b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03truncated")
    assert [r.url for r in iter_responses(path)] == [f"http://a.test/{n}.html" for n in range(3)]


@pytest.mark.parametrize(
    "ref", ["warc:nofile.warc.gz#0", "warc:../etc/passwd#0", "warc:x#abc", "garbage"]
)
def test_bad_references_are_not_found(tmp_path, ref):
    with pytest.raises(NotFound):
        read_record(tmp_path, ref)


def test_import_of_a_warc_outside_the_home_copies_raw_bytes(sqlite_archive, tmp_path):
    w = WarcWriter(tmp_path / "elsewhere")
    w.write_response(
        "http://police.test/a.html?utm_source=x",
        200,
        "OK",
        [("Content-Type", "text/html")],
        GBK_PAGE,
    )
    w.write_response(
        "http://police.test/logo.png", 200, "OK", [("Content-Type", "image/png")], b"\x89PNG"
    )
    w.close()
    path = next((tmp_path / "elsewhere").glob("*.warc.gz"))
    report = import_paths(sqlite_archive, [path])
    assert not report.errors
    assert [r["url"] for r in report.imported] == ["http://police.test/a.html"]
    assert report.skipped[-1]["reason"] == "1 records were not relevant articles"
    again = import_paths(sqlite_archive, [path])
    assert again.skipped[0]["reason"] == "same content already archived"


def test_cli_import_of_a_broken_warc_is_a_one_line_error(cli, tmp_path):
    bad = tmp_path / "bad.warc.gz"
    bad.write_bytes(b"this is not a warc file at all\n" * 10)
    result = run(cli, "import", bad, "--home", tmp_path / "h", "--json")
    assert result.exit_code == 2
    assert '"errors"' in result.stdout and "not a readable WARC file" in result.stdout

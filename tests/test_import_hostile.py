"""Hostile files in an import: each gets a one-line reason (or is stored cleaned), the
good files of the same import are stored, and nothing prints a traceback; on SQLite
and PostgreSQL. Also WARC files with malformed records and messages naming paths."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import select

from archive import Archive
from archive.errors import NotFound
from archive.models import Article
from archive.warcstore import read_response

from .conftest import run

BODY = "民警提醒：谨防刷单返利诈骗，所有要求先垫付资金的网络兼职都是诈骗。\n"


def _laughs(depth: int = 9) -> str:
    """A "billion laughs" front matter: 9 aliases of 9 aliases ... of one string."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for n in range(1, depth):
        lines.append(f"a{n}: &a{n} [" + ",".join([f"*a{n - 1}"] * 9) + "]")
    return "---\n" + "\n".join(lines) + f"\ntitle: *a{depth - 1}\n---\n" + BODY


def _alias_title() -> str:
    """A few hundred bytes whose title is tens of millions of characters once expanded."""
    lines = ['s0: &s0 "' + "诈骗" * 20 + '"']
    for n in range(1, 6):
        lines.append(f"s{n}: &s{n} [" + ",".join([f"*s{n - 1}"] * 8) + "]")
    return "---\n" + "\n".join(lines) + "\ntitle: *s5\n---\n" + BODY


BAD_FILES = {
    "bad-date.md": ("---\ntitle: 日期坏了\ndate: 2022-13-45\n---\n" + BODY, "impossible date"),
    "aliases.md": (_alias_title(), "front matter refused"),
    "laughs.md": (_laughs(), "front matter refused"),
    "deep.md": ("---\ntitle: " + "[" * 5000 + "\n---\n" + BODY, "front matter"),
    "huge-int.md": ("---\ntitle: t\nn: " + "9" * 6000 + "\n---\n" + BODY, "front matter"),
    "long-url.md": ("---\ntitle: t\nurl: http://a.test/" + "x" * 3000 + "\n---\n" + BODY, "url"),
}


def _import(cli, home: Path, db_url: str | None, *paths: Path, extra=()):
    args = ["import", *map(str, paths), "--home", str(home), "--json", *extra]
    if db_url:
        args += ["--db", db_url]
    result = run(cli, *args)
    return result, json.loads(result.stdout)


def _titles(home: Path, db_url: str | None) -> dict[str, Article]:
    arc = Archive.open(home, db_url)
    try:
        with arc.session() as s:
            rows = list(s.scalars(select(Article)))
            s.expunge_all()
    finally:
        arc.close()
    return {Path(a.extra["path"]).name: a for a in rows}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_file_is_reported_and_the_others_stored(cli, home, db_url, seeds, name):
    data, message = BAD_FILES[name]
    bad = seeds / name
    bad.write_text(data, encoding="utf-8")
    result, out = _import(cli, home, db_url, seeds)
    assert result.exit_code == 1, result.stderr  # README: some files of an import failed
    assert [e["path"] for e in out["errors"]] == [str(bad)]
    error = out["errors"][0]["error"]
    assert message in error and "\n" not in error and len(error) < 300
    assert "Traceback" not in result.stderr + result.stdout
    assert len(out["imported"]) == 2
    assert set(_titles(home, db_url)) == {p.name for p in seeds.iterdir()} - {name}


def test_lone_surrogates_and_nul_are_stored_cleaned(cli, home, db_url, seeds):
    """YAML escapes make lone surrogates and NUL; a NUL past the binary sniff reaches the
    text. Neither database takes them: they are replaced (U+FFFD) or removed."""
    (seeds / "surrogate.md").write_text(
        '---\ntitle: "坏\\ud800标题"\nauthor: "张\\udc00三"\ntags: ["\\ud83d\\ude00", "a\\0b"]\n'
        "---\n" + BODY,
        encoding="utf-8",
    )
    (seeds / "nul.md").write_bytes(
        ('---\ntitle: "零\\0字节"\nsource: "派出所\\0"\n---\n' + BODY * 120).encode()
        + b"\x00\x00tail"
        + BODY.encode()
    )
    result, out = _import(cli, home, db_url, seeds)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert len(out["imported"]) == 4 and out["errors"] == []
    arts = _titles(home, db_url)
    assert (
        arts["surrogate.md"].title == "坏\ufffd标题" and arts["surrogate.md"].author == "张\ufffd三"
    )
    assert arts["surrogate.md"].extra["tags"] == ["\U0001f600", "ab"]  # the pair joined
    assert arts["nul.md"].title == "零字节" and "\x00" not in arts["nul.md"].text
    assert arts["nul.md"].text.count("tail") == 1


def test_database_refusal_is_one_line(cli, home, pg_url, seeds):
    """A value PostgreSQL refuses (a URL over the column's 2048 characters) is a one-line
    error for that file, not a traceback."""
    path = seeds / "001_72b5590c4af24436.txt"
    result, out = _import(cli, home, pg_url, path, extra=["--url", "http://a.test/" + "x" * 3000])
    assert result.exit_code == 2
    assert out["errors"][0]["error"].startswith("database refused: value too long")
    assert "Traceback" not in result.stderr


def test_year_one_date_is_dropped_not_fatal(cli, home, db_url, tmp_path):
    path = tmp_path / "year1.md"
    path.write_text("---\ntitle: 很久以前\ndate: 0001-01-01\n---\n" + BODY, encoding="utf-8")
    result, _ = _import(cli, home, db_url, path)
    assert result.exit_code == 0, result.stdout
    assert _titles(home, db_url)["year1.md"].published_at is None


def test_file_name_that_is_not_utf8(cli, home, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / os.fsdecode(b"\xff\xfe.md")).write_text("---\ntitle: 名字\n---\n" + BODY)
    result, out = _import(cli, home, None, folder)
    assert result.exit_code == 0
    assert out["imported"][0]["path"].endswith("\ufffd\ufffd.md")


def test_billion_laughs_in_bounded_memory(tmp_path, seeds):
    """The whole import runs under a 1 GB address-space limit (expanding the aliases
    would need many gigabytes) and stores the good files."""
    (seeds / "laughs.md").write_text(_laughs(), encoding="utf-8")
    (seeds / "aliases.md").write_text(_alias_title(), encoding="utf-8")
    script = textwrap.dedent(
        f"""
        import resource, sys
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
        from fanzha.cli import main
        sys.argv = ["fanzha", "import", {str(seeds)!r}, "--home", {str(tmp_path / "h")!r},
                    "--json"]
        main()
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 1, proc.stderr[-2000:]
    out = json.loads(proc.stdout)
    assert len(out["imported"]) == 2 and len(out["errors"]) == 2
    assert "Traceback" not in proc.stderr


# --- WARC files -------------------------------------------------------------------


def _warc_record(headers: str, http: str) -> bytes:
    payload = http.encode()
    return (
        f"WARC/1.0\r\n{headers}Content-Length: {len(payload)}\r\n\r\n".encode()
        + payload
        + b"\r\n\r\n"
    )


def test_warc_record_without_target_uri_is_one_line(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("no-uri.warc").write_bytes(
        _warc_record("WARC-Type: response\r\n", "HTTP/1.1 200 OK\r\n\r\n<html></html>")
    )
    result = run(cli, "import", "no-uri.warc", "--home", "h", "--json")
    out = json.loads(result.stdout)
    assert result.exit_code == 2
    reason = "not a readable WARC file: a record with malformed headers"
    assert out["errors"] == [{"path": "no-uri.warc", "error": reason}]
    assert "Traceback" not in result.stderr


def test_warc_record_with_bad_date_and_status_is_read(tmp_path):
    from archive.warcstore import iter_responses

    path = tmp_path / "odd.warc"
    path.write_bytes(
        _warc_record(
            "WARC-Type: response\r\nWARC-Target-URI: http://a.test/\r\nWARC-Date: yesterday\r\n",
            "HTTP/1.1 2x0 OK\r\n\r\n<html></html>",
        )
    )
    rec = next(iter(iter_responses(path)))
    assert (rec.url, rec.status, rec.date) == ("http://a.test/", 0, None)


def test_missing_warc_file_message_names_no_absolute_path(tmp_path):
    with pytest.raises(NotFound) as err:
        read_response(tmp_path / "warc", "warc:gone.warc.gz#0")
    assert str(tmp_path) not in str(err.value) and "gone.warc.gz" in str(err.value)


def test_warc_errors_name_the_path_as_given(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("sub").mkdir()
    Path("sub/bad.warc").write_bytes(b"WARC/\xff\xfe\r\n\r\n")
    result = run(cli, "import", "sub/bad.warc", "--home", "h", "--json")
    out = json.loads(result.stdout)
    assert out["errors"][0]["path"] == "sub/bad.warc"
    assert str(tmp_path) not in result.stdout + result.stderr


def test_titles_and_errors_are_printed_as_text_not_markup(cli, home, tmp_path):
    """Rich markup in a title ("[/bold]") used to raise MarkupError in the table."""
    path = tmp_path / "markup.md"
    path.write_text('---\ntitle: "[/bold] [red]坏"\n---\n' + BODY, encoding="utf-8")
    bad = tmp_path / "[red]x.txt"
    bad.write_text("---\ndate: 2022-13-45\n---\n" + BODY, encoding="utf-8")
    result = run(cli, "import", path, bad, "--home", home)
    assert result.exit_code == 1, result.stderr
    assert "[/bold] [red]坏" in result.stdout and "1 imported" in result.stdout


def test_file_over_the_size_limit_is_refused_unread(cli, home, seeds):
    from archive.importers.files import MAX_FILE_BYTES

    body = BODY.encode()
    (seeds / "big.txt").write_bytes(body * (MAX_FILE_BYTES // len(body) + 1))  # the real limit
    result, out = _import(cli, home, None, seeds)
    assert result.exit_code == 1 and len(out["imported"]) == 2
    reason = f"larger than {MAX_FILE_BYTES:,} bytes, not imported"
    assert out["errors"] == [{"path": str(seeds / "big.txt"), "error": reason}]

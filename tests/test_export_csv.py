"""``fanzha export --format csv`` neutralises formula cells (OWASP CSV injection)."""

from __future__ import annotations

import csv
import io
import json

from .conftest import run

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

HOSTILE_MD = {
    "a.md": (
        '---\ntitle: "=HYPERLINK(\\"http://evil.example/\\",\\"点我\\")"\n'
        'author: "@SUM(1+1)"\nsource: "+cmd|\' /C calc\'!A0"\n---\n'
        "=1+2 警方提醒：冒充客服退款就是诈骗。\n\n第二段。\n"
    ),
    "b.md": '---\ntitle: "-2+3 刷单返利"\n---\n@公安 提醒：刷单就是诈骗。\n',
    "c.md": "---\ntitle: 普通标题\n---\n正文，没有公式。\n",
}


def _hostile_home(cli, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    for name, text in HOSTILE_MD.items():
        (src / name).write_text(text, encoding="utf-8")
    home = tmp_path / "home"
    assert run(cli, "import", src, "--home", home).exit_code == 0
    # Tab and carriage return lead no field an import keeps: store them directly.
    from archive import Archive, Document, store_document

    arc = Archive.open(home)
    with arc.session() as s:
        store_document(
            s,
            Document(
                url="https://example.org/tab",
                title="\t=cmd|'/C calc'!A0",
                text="\r=1+1 正文",
                source_name="\t@来源",
            ),
        )
    arc.close()
    return home


def test_csv_export_prefixes_formula_cells_and_jsonl_stays(cli, tmp_path):
    home = _hostile_home(cli, tmp_path)
    jsonl = run(cli, "export", "--home", home)
    assert jsonl.exit_code == 0
    records = {r["url"]: r for r in map(json.loads, jsonl.stdout.splitlines())}
    res = run(cli, "export", "--format", "csv", "--home", home)
    assert res.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(res.stdout, newline="")))
    assert len(rows) == len(records) == 4
    for row in rows:
        assert not any(v.startswith(FORMULA_STARTS) for v in row.values()), row
        rec = records[row["url"]]
        for key in ("title", "text", "source", "author"):
            original = rec[key] or ""
            expected = "'" + original if original.startswith(FORMULA_STARTS) else original
            assert row[key] == expected
    by_title = {r["title"]: r for r in rows}
    assert '\'=HYPERLINK("http://evil.example/","点我")' in by_title
    assert "'-2+3 刷单返利" in by_title and "普通标题" in by_title
    assert by_title["'-2+3 刷单返利"]["text"].startswith("'@公安")
    assert by_title["'\t=cmd|'/C calc'!A0"]["text"] == "'\r=1+1 正文"
    # JSON lines are the archive as it is: nothing prefixed.
    assert any(r["title"].startswith("=HYPERLINK") for r in records.values())
    assert any(r["title"].startswith("\t=cmd") for r in records.values())
    # Every cell is quoted, as OWASP advises (a separator cannot split a cell).
    assert res.stdout.splitlines()[0].startswith('"id","url","title"')


def test_export_records_have_exactly_the_typed_keys(cli, tmp_path):
    """A JSON line is ``search.types.ExportRecord``, key for key and in order, and the
    CSV header names the same columns."""
    from search.types import ExportRecord

    home = _hostile_home(cli, tmp_path)
    keys = list(ExportRecord.__annotations__)
    for line in run(cli, "export", "--home", home).stdout.splitlines():
        record = json.loads(line)
        assert list(record) == keys
        for named in record["indicators"]:
            assert set(named) == {"kind", "value", "role"}
    header = run(cli, "export", "--format", "csv", "--home", home).stdout.splitlines()[0]
    assert header == ",".join(f'"{k}"' for k in keys)

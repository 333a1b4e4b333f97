"""A full disk, for real: the archive lives on a small tmpfs that the test fills up.

Every command that writes must stop with one clear line (no traceback), and what was
stored before must still be there, intact. Needs root to mount the tmpfs; skipped,
saying so, elsewhere.
"""

from __future__ import annotations

import errno
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.sites.harness import REPO, env

pytestmark = pytest.mark.slow


@pytest.fixture
def tiny(tmp_path: Path):
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mnt)], capture_output=True, text=True
    )
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs to fill up (needs root): {proc.stderr.strip()}")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def fill(folder: Path) -> Path:
    """Write a file until the disk is full; returns it (delete it to free the space)."""
    filler = folder / "filler"
    # unbuffered: a write that fits only in part returns short and the next one fails;
    # a buffered file kept the part that did not fit and failed again when closed
    with open(filler, "wb", buffering=0) as fh:
        try:
            while True:
                fh.write(b"\0" * 65536)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    return filler


def fanzha(*args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fanzha", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env(),
        timeout=120,
    )


def bulletins(folder: Path, n: int) -> Path:
    folder.mkdir()
    for i in range(n):
        body = "\n".join(
            f"第{i}号通报第{j}段：民警提醒，谨防刷单返利诈骗，切勿向陌生账户转账。" * 8
            for j in range(20)
        )
        (folder / f"{i:03d}.md").write_text(
            f"---\ntitle: 通报{i}\ndate: 2024-01-{i % 28 + 1:02d}\n---\n{body}", encoding="utf-8"
        )
    return folder


def stored(home: Path) -> tuple[list[str], str]:
    with sqlite3.connect(home / "fanzha.db") as db:
        titles = [r[0] for r in db.execute("select title from article order by id")]
        check = db.execute("pragma integrity_check").fetchone()[0]
    return titles, check


def test_import_on_a_full_disk_stops_cleanly_and_keeps_what_was_stored(tiny, tmp_path):
    home = tiny / "home"
    first = fanzha("import", REPO / "tests" / "data" / "seeds", "--home", home, "--json")
    assert first.returncode == 0, first.stderr
    before, _ = stored(home)
    filler = fill(tiny)
    result = fanzha("import", bulletins(tmp_path / "more", 40), "--home", home, "--json")
    assert result.returncode in (1, 2)
    assert "Traceback" not in result.stderr
    message = result.stderr.strip().splitlines()
    assert len(message) == 1 and ("space" in message[0] or "full" in message[0]), result.stderr
    filler.unlink()
    after, check = stored(home)
    assert check == "ok" and after[: len(before)] == before


def test_nightly_on_a_full_disk_gives_one_line(tiny, tmp_path):
    home = tiny / "home"
    assert fanzha("import", REPO / "tests" / "data" / "seeds", "--home", home).returncode == 0
    sites = tmp_path / "sites.toml"
    sites.write_text('[[site]]\nkey = "x"\nname = "x"\nstart_urls = ["http://127.0.0.1:9/"]\n')
    filler = fill(tiny)
    result = fanzha("nightly", "--sites", sites, "--home", home, "--json")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("fanzha: error:") and ("space" in last or "full" in last)
    filler.unlink()
    titles, check = stored(home)
    assert check == "ok" and len(titles) == 2


def test_read_only_home_gives_one_line(tmp_path):
    home = tmp_path / "home"
    assert fanzha("import", REPO / "tests" / "data" / "seeds", "--home", home).returncode == 0
    ro = tmp_path / "ro"
    ro.mkdir()
    proc = subprocess.run(
        ["mount", "--bind", "-o", "ro", str(home), str(ro)], capture_output=True, text=True
    )
    if proc.returncode != 0:
        pytest.skip(f"cannot bind-mount read-only (needs root): {proc.stderr.strip()}")
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(ro)], check=True)
        result = fanzha("nightly", "--home", ro, "--json")
        assert result.returncode == 2 and "Traceback" not in result.stderr
        assert result.stderr.strip().splitlines() == [result.stderr.strip()]
        assert "not writable" in result.stderr
    finally:
        subprocess.run(["umount", "-l", str(ro)], check=False)
    titles, check = stored(home)
    assert check == "ok" and len(titles) == 2

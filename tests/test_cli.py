"""The command-line frame: help with examples, exit codes, one-line errors."""

from __future__ import annotations

import subprocess
import sys

import pytest

from .conftest import run

COMMANDS = [
    "import",
    "crawl",
    "dedup",
    "index",
    "nightly",
    "search",
    "dups",
    "diff",
    "check",
    "export",
    "sites",
    "runs",
    "serve",
    "demo",
]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(cli, command):
    result = run(cli, command, "--help")
    assert result.exit_code == 0
    assert "Example:" in result.stdout and "fanzha " in result.stdout
    if command not in ("serve", "demo", "export"):
        assert "--home" in result.stdout and "--db" in result.stdout


def test_bad_db_url_is_one_line_exit_2(cli, tmp_path, seeds):
    result = run(
        cli,
        "import",
        seeds,
        "--home",
        tmp_path / "h",
        "--db",
        "postgresql+psycopg://x@127.0.0.1:1/n",
    )
    assert result.exit_code == 2
    assert result.stderr.startswith("fanzha: error: cannot connect to database")
    assert len(result.stderr.strip().splitlines()) == 1


def test_home_not_writable_is_one_line_exit_2(cli, tmp_path, seeds):
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = run(cli, "import", seeds, "--home", blocker / "home")
    assert result.exit_code == 2 and "not writable" in result.stderr
    assert "Traceback" not in result.stderr


def test_env_vars_configure_home(cli, tmp_path, seeds, monkeypatch):
    monkeypatch.setenv("FANZHA_HOME", str(tmp_path / "envhome"))
    result = run(cli, "import", seeds)
    assert result.exit_code == 0 and (tmp_path / "envhome" / "fanzha.db").exists()


def test_unknown_option_is_usage_error(cli):
    assert run(cli, "import", "--bogus").exit_code == 2


def test_console_script_runs_as_a_process(tmp_path, seeds):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "fanzha",
            "import",
            str(seeds),
            "--home",
            str(tmp_path / "h"),
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("\n") == 1 and '"imported"' in proc.stdout

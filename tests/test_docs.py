"""The documents stay true: the ``fanzha`` commands README.md and docs/*.md show in
``sh`` blocks exist with the options shown, the read-only ones run on a real archive
(the seeds imported, deduplicated and indexed), the README lists every document, every
local link resolves, and nothing cites a design file that is not in the repository.

Commands that need the network or run long (crawl, serve, nightly, demo, the distributed
crawl's worker/enqueue/status, try, retag) are checked for existence and options only.
"""

from __future__ import annotations

import re
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer.main

from fanzha.cli.app import app

from .conftest import SEEDS, run

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
HELP_ONLY = {"crawl", "serve", "nightly", "demo", "worker", "enqueue", "status", "try", "retag"}
SH_BLOCK = re.compile(r"^```(?:sh|bash|shell)\n(.*?)^```", re.S | re.M)
PLACEHOLDER = re.compile(r"[\[\]…|]|^[A-Z]+$|://")
USAGE_ERRORS = ("Usage:", "No such option", "Missing argument", "unexpected extra argument")


@dataclass(frozen=True)
class Shown:
    """One ``fanzha`` command line shown in a document."""

    where: str
    args: tuple[str, ...]

    @property
    def name(self) -> str | None:
        return next((a for a in self.args if not a.startswith("-")), None)

    @property
    def runnable(self) -> bool:
        """Read-only with real values: no placeholders, nothing that needs the network."""
        return self.name not in HELP_ONLY and not any(PLACEHOLDER.search(a) for a in self.args)

    def __str__(self) -> str:
        return f"{self.where}: fanzha {' '.join(self.args)}"


def shown_commands(documents: list[Path] = DOCUMENTS) -> list[Shown]:
    """Every ``fanzha`` / ``.venv/bin/fanzha`` line of the documents' sh blocks."""
    found = []
    for doc in documents:
        text = doc.read_text(encoding="utf-8")
        for block in SH_BLOCK.finditer(text):
            first = text.count("\n", 0, block.start(1)) + 1
            for offset, line in enumerate(block.group(1).splitlines()):
                words = shlex.split(line, comments=True)
                if not words or Path(words[0]).name != "fanzha":
                    continue
                args = []
                for word in words[1:]:
                    if word in {">", ">>", "<", "|", "&&", ";"}:
                        break
                    args.append(word)
                found.append(Shown(f"{doc.relative_to(ROOT)}:{first + offset}", tuple(args)))
    return found


SHOWN = shown_commands()
COMMANDS = typer.main.get_command(app)


def test_the_documents_show_commands_of_every_kind() -> None:
    names = {shown.name for shown in SHOWN}
    assert {"import", "search", "dups", "diff", "crawl", "serve", "nightly"} <= names
    assert any(shown.runnable for shown in SHOWN)


@pytest.mark.parametrize("shown", SHOWN, ids=str)
def test_every_command_shown_exists_with_the_options_shown(shown: Shown, cli) -> None:
    command = COMMANDS.commands.get(shown.name) if shown.name else COMMANDS  # type: ignore[attr-defined]
    assert command is not None, f"{shown}: no such command"
    options = {o for param in command.params for o in (*param.opts, *param.secondary_opts)}
    options |= {"--help", "-h"}
    for arg in shown.args:
        option = arg.split("=", 1)[0]
        if option.startswith("-") and not re.fullmatch(r"-\d*", option):
            assert option in options, f"{shown}: {command.name} has no option {option}"
    result = run(cli, *([shown.name] if shown.name else []), "--help")
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def seeded_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real SQLite archive: the seeds imported, deduplicated and indexed."""
    from typer.testing import CliRunner

    home = tmp_path_factory.mktemp("docs") / "home"
    cli = CliRunner()
    for args in (["import", str(SEEDS)], ["dedup"], ["index"]):
        result = run(cli, *args, "--home", str(home))
        assert result.exit_code == 0, result.output
    return home


@pytest.mark.parametrize("shown", [s for s in SHOWN if s.runnable], ids=str)
def test_the_read_only_examples_run_on_a_real_archive(
    shown: Shown, seeded_home: Path, cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """0, or 2 with a one-line message about the input (an id this small archive has not):
    never a usage error, which would mean the document shows a command line that no
    longer parses."""
    monkeypatch.chdir(ROOT)  # the documents' relative paths are from the repository
    extra = () if shown.name is None else ("--home", str(seeded_home))
    result = run(cli, *shown.args, *extra)
    output = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert result.exit_code in (0, 2), f"{shown}: exit {result.exit_code}\n{output}"
    if result.exit_code == 2:
        assert not any(e in output for e in USAGE_ERRORS), f"{shown}: usage error\n{output}"
        assert len(result.stderr.strip().splitlines()) == 1, output


def test_the_readme_lists_every_document() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for doc in DOCUMENTS[1:]:
        assert f"(docs/{doc.name})" in readme, f"README does not link docs/{doc.name}"


def test_every_local_link_of_the_documents_resolves() -> None:
    for doc in DOCUMENTS:
        text = doc.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if "://" in target or target.startswith("#"):
                continue
            path = (doc.parent / target.split("#", 1)[0]).resolve()
            assert path.exists(), f"{doc.relative_to(ROOT)} links {target}: missing"


def test_nothing_cites_a_design_file_the_repository_does_not_have() -> None:
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    pattern = re.compile(r"\b(?:DESIGN|HELPERS)(?:\.md|'s|\s+``|\s+[\"a-z])")
    citing = []
    for name in filter(None, tracked):
        path = ROOT / name.decode()
        if path.suffix not in {".py", ".md", ".toml", ".html", ".txt", ".cfg"} or not path.exists():
            continue
        if path == Path(__file__):
            continue
        for number, line in enumerate(
            path.read_text(encoding="utf-8", errors="replace").splitlines(), 1
        ):
            if pattern.search(line):
                citing.append(f"{name.decode()}:{number}: {line.strip()}")
    assert not citing, "\n".join(citing)


def test_every_document_the_code_cites_exists() -> None:
    cited = set()
    packages = ("archive", "crawler", "search", "fanzha", "tests", "bench")
    for path in (p for pkg in packages for p in (ROOT / pkg).rglob("*") if p.is_file()):
        if path.suffix not in {".py", ".toml", ".html"}:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        cited |= {(m, path.relative_to(ROOT)) for m in re.findall(r"docs/[\w-]+\.md", text)}
    assert cited, "no code cites a document: the pattern is wrong"
    missing = sorted(f"{where} cites {doc}" for doc, where in cited if not (ROOT / doc).exists())
    assert not missing, "\n".join(missing)

"""The layer rule of the house: ``archive`` at the bottom, ``search`` and ``crawler`` on
it, ``fanzha`` (CLI, web, jobs) on top. Nothing imports upward, and no module imports
itself back through others, function-level imports included (imports under
``TYPE_CHECKING`` are for type checkers only and do not count).

The whole tree is read with ``ast``: no module is imported to check it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYERS = {
    "archive": set(),
    "search": {"archive"},
    "crawler": {"archive"},
    "fanzha": {"archive", "search", "crawler"},
}


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_checking_only(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return True
    return False


def imports(path: Path, root: Path = ROOT) -> Iterator[tuple[str, int]]:
    """Every module name ``path`` imports at run time (absolute), with its line."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    here = module_name(path, root).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    for node in ast.walk(tree):
        if _type_checking_only(node, parents):
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            # "from pkg import module" imports the module; "from pkg import name" the package
            for alias in node.names:
                yield f"{name}.{alias.name}", node.lineno


def sources(root: Path = ROOT) -> dict[str, Path]:
    return {module_name(p, root): p for layer in LAYERS for p in (root / layer).rglob("*.py")}


def graph(root: Path = ROOT) -> dict[str, set[str]]:
    mods = sources(root)

    def resolve(name: str) -> str | None:
        while name:
            if name in mods:
                return name
            name = name.rpartition(".")[0]
        return None

    def packages(target: str, mod: str) -> set[str]:
        """The packages Python runs on the way to ``target`` (``archive.dedup`` for
        ``archive.dedup.shingles``), except those ``mod`` itself sits in (already running)."""
        parts = target.split(".")
        names = {".".join(parts[:i]) for i in range(1, len(parts))}
        return {p for p in names if p in mods and not (mod + ".").startswith(p + ".")}

    out: dict[str, set[str]] = {}
    for mod, path in mods.items():
        targets = {resolve(name) for name, _ in imports(path, root)}
        targets |= {p for t in set(targets) if t for p in packages(t, mod)}
        out[mod] = {t for t in targets if t and t != mod}
    return out


def test_nothing_imports_upward():
    wrong = []
    for mod, path in sources().items():
        layer = mod.split(".")[0]
        for name, line in imports(path):
            top = name.split(".")[0]
            if top in LAYERS and top != layer and top not in LAYERS[layer]:
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    assert not wrong, "upward imports:\n" + "\n".join(sorted(set(wrong)))


def test_no_import_cycles():
    edges = graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    assert not cycles, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_the_checker_sees_a_cycle_and_an_upward_import(tmp_path):
    """The rule's own check: a planted cycle (through a function-level import) and an
    upward import are both found, and a TYPE_CHECKING import is not."""
    (tmp_path / "archive").mkdir()
    (tmp_path / "archive" / "__init__.py").write_text("")
    (tmp_path / "archive" / "a.py").write_text("def f():\n    from .b import g\n")
    (tmp_path / "archive" / "b.py").write_text("from archive.a import f\nimport fanzha.x\n")
    (tmp_path / "archive" / "c.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import f\n"
    )
    edges = graph(tmp_path)
    assert "archive.b" in edges["archive.a"] and "archive.a" in edges["archive.b"]
    assert "archive.a" not in edges["archive.c"]
    assert "fanzha.x" in [n for n, _ in imports(tmp_path / "archive" / "b.py", tmp_path)]


def test_the_checker_sees_a_cycle_through_a_package(tmp_path):
    """Importing ``archive.pkg.other`` runs ``archive/pkg/__init__.py`` first: an edge to
    the package (so a cycle through its ``__init__`` is found), but not from the
    package's own modules (their package is already running)."""
    pkg = tmp_path / "archive" / "pkg"
    pkg.mkdir(parents=True)
    (tmp_path / "archive" / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("from .m import g\n")
    (pkg / "m.py").write_text("from archive.d import f\nfrom .other import h\n")
    (pkg / "other.py").write_text("h = 1\n")
    (tmp_path / "archive" / "d.py").write_text("def f():\n    from .pkg.other import h\n")
    edges = graph(tmp_path)
    assert "archive.pkg" in edges["archive.d"]
    assert "archive.pkg" not in edges["archive.pkg.m"]


def test_chinese_text_and_china_time_have_one_home():
    """Traditional folding (OpenCC), the China time zone and the ISO form of a time are
    written once: ``archive/normalize.py`` and ``archive/times.py``; everyone imports them."""
    homes = {
        "import opencc": "archive/normalize.py",
        "timezone(timedelta(hours=8)": "archive/times.py",
        'ZoneInfo("Asia/Shanghai")': "archive/times.py",
        "def iso(": "archive/times.py",
        "def _iso(": "archive/times.py",
        "def t2s_table(": "archive/normalize.py",
        "def to_simplified(": "archive/normalize.py",
        "def fold(": "archive/normalize.py",
        "def word_key(": "archive/normalize.py",
    }
    wrong = []
    for path in sources().values():
        text = path.read_text(encoding="utf-8")
        rel = path.relative_to(ROOT).as_posix()
        for needle, home in homes.items():
            if needle in text and rel != home:
                wrong.append(f"{rel}: {needle} (its home is {home})")
    assert not wrong, "written twice:\n" + "\n".join(sorted(wrong))


def shadowed_modules(root: Path = ROOT) -> list[str]:
    """Names a package's ``__init__`` binds to something other than its own submodule of
    that name (``from .store import store`` makes ``archive.store`` a function)."""
    wrong = []
    for init in sorted(root.glob("*/**/__init__.py")):
        pkg = init.parent
        if pkg.relative_to(root).parts[0] not in LAYERS:
            continue
        subs = {p.stem for p in pkg.glob("*.py")} | {
            p.parent.name for p in pkg.glob("*/__init__.py")
        }
        for node in ast.parse(init.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ImportFrom) and node.level == 1 and not node.module:
                continue  # from . import x binds the submodule itself
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.asname or a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.FunctionDef | ast.ClassDef):
                names = [node.name]
            elif isinstance(node, ast.Assign):
                names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            else:
                continue
            wrong += [f"{module_name(init, root)}.{n}" for n in names if n in subs - {"__init__"}]
    return wrong


def test_no_package_name_shadows_its_module():
    """``archive.store`` is the module archive/store.py, not a function re-exported over it."""
    assert not shadowed_modules(), "shadowed: " + ", ".join(shadowed_modules())


def test_the_checker_sees_a_shadowed_module(tmp_path):
    pkg = tmp_path / "archive" / "pkg"
    pkg.mkdir(parents=True)
    (tmp_path / "archive" / "__init__.py").write_text("from .store import store\n")
    (tmp_path / "archive" / "store.py").write_text("def store(): pass\n")
    (pkg / "__init__.py").write_text("from . import m\nfrom .m import f as _f\n")
    (pkg / "m.py").write_text("def f(): pass\n")
    assert shadowed_modules(tmp_path) == ["archive.store"]

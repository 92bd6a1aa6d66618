"""The structure docs/architecture.md describes: layers read from its table, no import cycles, a command line
that starts without the heavy libraries, and public names that resolve."""

from __future__ import annotations

import ast
import importlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
PACKAGE = SRC / "talentflow"
HEAVY = ("pandas", "ibis", "pyarrow", "fastapi", "plotly", "numpy", "pyspark", "statsmodels")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(name: str) -> set[str]:
    """The talentflow modules ``name`` imports, wherever the import stands (inside functions and under
    TYPE_CHECKING too). ``from package import name`` is an import of the module ``package.name`` when there is
    one, else of ``package``."""
    path = MODULES[name]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                found.add(full if full in MODULES else base)
    return {m for m in found if m in MODULES and m != name}


GRAPH = {name: imports_of(name) for name in MODULES}


def layers() -> list[tuple[str, tuple[str, ...]]]:
    """(layer, module prefixes) in order, read from the table in docs/architecture.md."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    rows = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[1].startswith("`talentflow"):
            rows.append((cells[0], tuple(re.findall(r"`(talentflow[\w.]*)`", cells[1]))))
    return rows


LAYERS = layers()


def layer_of(module: str) -> int:
    best, index = -1, -1
    for i, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, index = len(prefix), i
    return index


def test_the_documented_table_has_every_layer() -> None:
    assert [name for name, _ in LAYERS] == [
        "base",
        "store",
        "sources",
        "indicators",
        "estimates",
        "verdicts",
        "outputs",
        "api",
        "faces",
    ]


def test_every_module_has_a_layer() -> None:
    unplaced = [m for m in MODULES if layer_of(m) < 0]
    assert not unplaced, f"place these modules in a layer of docs/architecture.md: {unplaced}"


def test_imports_follow_the_layers() -> None:
    wrong = []
    for module, targets in GRAPH.items():
        for target in targets:
            if layer_of(target) > layer_of(module):
                wrong.append(
                    f"{module} ({LAYERS[layer_of(module)][0]}) imports {target} ({LAYERS[layer_of(target)][0]})"
                )
    assert not wrong, "imports against the direction of docs/architecture.md:\n" + "\n".join(sorted(wrong))


def test_the_faces_do_not_import_each_other() -> None:
    web = [m for m in GRAPH if m.startswith("talentflow.web") and any(t.startswith("talentflow.cli") for t in GRAPH[m])]
    assert not web, f"the web layer imports the command line: {web}"
    cli_to_web = {
        m for m in GRAPH if m.startswith("talentflow.cli") for t in GRAPH[m] if t.startswith("talentflow.web")
    }
    assert cli_to_web <= {"talentflow.cli.serve"}
    back = [m for m in GRAPH if m.startswith("talentflow.cli.") and "talentflow.cli" in GRAPH[m]]
    assert not back, f"command modules import the top of the command line: {back}"


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, as the list of modules around it, or None (depth-first search, white-grey-black)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


def test_no_import_cycles() -> None:
    cycle = find_cycle(GRAPH)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_cycle_finder_finds_one() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_the_command_line_starts_without_the_heavy_libraries() -> None:
    code = (
        "import json, sys; import talentflow.cli; "
        f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({list(HEAVY)!r}))))"
    )
    loaded = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, check=True, text=True).stdout)
    assert loaded == [], f"importing talentflow.cli loads {loaded}: import them inside the commands"


@pytest.mark.parametrize(
    "package",
    ["talentflow", "talentflow.indicators", "talentflow.migration", "talentflow.claims", "talentflow.report"],
)
def test_every_public_name_resolves_to_its_object(package: str) -> None:
    # Import every module of the package first: a submodule sharing an exported name would replace it.
    for name in MODULES:
        if name.startswith(package + ".") and name.count(".") == package.count(".") + 1 and "__main__" not in name:
            importlib.import_module(name)
    module = importlib.import_module(package)
    for name in module.__all__:
        value = getattr(module, name)
        assert not isinstance(value, type(sys)), f"{package}.{name} is a module, not the object it exports"
    assert set(dir(module)) >= set(module.__all__)

"""The documented examples run: Python blocks in the README and docs/ (```python; ```python norun is not meant
to run), the docstring examples (>>>) in src/, and every `talentflow …` command line in the docs and in the
commands' --help examples is a command and options that exist and are not deprecated.

The examples run in a copy of one prepared folder: a small simulated market ingested into
``talentflow.duckdb`` with the Innovation Graph and the built-in claims, its simulator output in ``sim/``, a
``vacancies.ndjson.gz`` and two stock tables.
"""

from __future__ import annotations

import contextlib
import doctest
import importlib
import os
import re
import shlex
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.core import TyperGroup, TyperOption
from typer.main import get_command
from typer.testing import CliRunner

from talentflow.cli import app

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
FENCE = re.compile(r"^```(\w*)([^\n]*)\n(.*?)^```", re.S | re.M)


@pytest.fixture(scope="session")
def prepared(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Path:
    from talentflow import ingest
    from talentflow.claims import builtin_claims, store_claims
    from talentflow.simulate import load_scenario, simulate
    from talentflow.store import Store

    folder = tmp_path_factory.mktemp("documented")
    simulate(load_scenario("exodus-2022"), folder / "sim", scale=0.002, seed=1)
    shutil.copy(folder / "sim" / "vacancies.ndjson.gz", folder / "vacancies.ndjson.gz")
    db = folder / "talentflow.duckdb"
    ingest([folder / "sim", shared / "innovationgraph" / "developers.csv"], db=db)
    with Store(db) as store:
        store_claims(store, builtin_claims())
    regions = ("RU", "GE", "KZ")
    t0 = {("RU", "RU"): 900, ("RU", "GE"): 40, ("RU", "KZ"): 60, ("GE", "GE"): 300, ("KZ", "KZ"): 400}
    t1 = {("RU", "RU"): 820, ("RU", "GE"): 80, ("RU", "KZ"): 100, ("GE", "GE"): 300, ("KZ", "KZ"): 400}
    for name, table in (("stocks_2021.csv", t0), ("stocks_2023.csv", t1)):
        rows = [f"{b},{r},{table.get((b, r), 0)}" for b in regions for r in regions]
        (folder / name).write_text("birthplace,residence,stock\n" + "\n".join(rows) + "\n")
    return folder


@contextlib.contextmanager
def inside(prepared: Path, tmp_path: Path) -> Iterator[Path]:
    """A fresh copy of the prepared folder as the working directory."""
    here = tmp_path / "work"
    shutil.copytree(prepared, here)
    before = Path.cwd()
    os.chdir(here)
    try:
        yield here
    finally:
        os.chdir(before)


def python_blocks(path: Path) -> list[tuple[int, str]]:
    text = path.read_text(encoding="utf-8")
    return [
        (text[: m.start()].count("\n") + 1, m.group(3))
        for m in FENCE.finditer(text)
        if m.group(1) == "python" and "norun" not in m.group(2)
    ]


WITH_PYTHON = [p for p in DOCS if python_blocks(p)]


@pytest.mark.parametrize("path", WITH_PYTHON, ids=[str(p.relative_to(ROOT)) for p in WITH_PYTHON])
def test_python_examples_in_the_docs_run(path: Path, prepared: Path, tmp_path: Path, capsys) -> None:
    namespace: dict[str, object] = {"__name__": "__docs__"}
    with inside(prepared, tmp_path):
        for line, code in python_blocks(path):
            try:
                exec(compile(code, f"{path.name}:{line}", "exec"), namespace)
            except Exception as exc:
                raise AssertionError(f"{path.relative_to(ROOT)}:{line}: the example fails: {exc!r}") from exc
    assert capsys.readouterr().err == ""


def doctest_modules() -> list[str]:
    src = ROOT / "src"
    names = []
    for file in sorted((src / "talentflow").rglob("*.py")):
        if ">>>" in file.read_text(encoding="utf-8") and file.name != "__main__.py":
            parts = file.relative_to(src).with_suffix("").parts
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


DOCTESTED = doctest_modules()


def test_the_docstrings_have_examples() -> None:
    assert len(DOCTESTED) >= 8, DOCTESTED


@pytest.mark.parametrize("module", DOCTESTED)
def test_docstring_examples_run(module: str, prepared: Path, tmp_path: Path) -> None:
    tests = doctest.DocTestFinder().find(importlib.import_module(module))
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    with inside(prepared, tmp_path):
        for test in tests:
            runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.attempted > 0 and result.failed == 0, f"{module}: {result.failed} of {result.attempted} failed"


# -- command lines ---------------------------------------------------------------------------------------
def command_lines() -> list[tuple[str, list[str]]]:
    """Every `talentflow …` line in a shell block of the docs and in the commands' --help examples."""
    found = []
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        for m in FENCE.finditer(text):
            if m.group(1) in ("sh", "bash", "console", "shell", ""):
                line = text[: m.start()].count("\n") + 1
                found += [(f"{path.relative_to(ROOT)}:{line}", args) for args in _commands(m.group(3))]
    root = get_command(app)
    for name, command in _walk(root, "talentflow"):
        found += [(f"--help of {name}", args) for args in _commands(command.epilog or "")]
    return found


def _walk(command, name):  # type: ignore[no-untyped-def]
    yield name, command
    if isinstance(command, TyperGroup):
        for sub, child in command.commands.items():
            yield from _walk(child, f"{name} {sub}")


def _commands(text: str) -> list[list[str]]:
    joined = re.sub(r"\\\n\s*", " ", text)
    out = []
    for raw in joined.splitlines():
        line = raw.strip().removeprefix("$ ")
        for part in line.split("&&"):
            part = part.strip()
            if part.startswith("talentflow ") or part == "talentflow":
                words = shlex.split(part, comments=True)
                out.append(words[1:])
    return out


COMMANDS = command_lines()


def test_the_docs_show_commands() -> None:
    assert len(COMMANDS) > 60


@pytest.mark.parametrize(("where", "args"), COMMANDS, ids=[f"{w}: {' '.join(a)[:60]}" for w, a in COMMANDS])
def test_documented_command_lines_parse_and_use_current_options(where: str, args: list[str]) -> None:
    command = get_command(app)
    for word in args:
        if isinstance(command, TyperGroup) and word in command.commands:
            command = command.commands[word]
    assert not isinstance(command, TyperGroup) or not args or args[-1] in ("--help",), (
        f"{where}: `talentflow {' '.join(args)}` names a group, not a command"
    )
    visible = {opt for p in command.params if isinstance(p, TyperOption) and not p.hidden for opt in p.opts}
    used = {w.split("=")[0] for w in args if w.startswith("-") and w != "-"}
    stale = used - visible - {"--help"}
    assert not stale, f"{where}: `talentflow {' '.join(args)}` uses {sorted(stale)}, not options of the command"
    # Typer's own parser accepts the words (--help stops it before anything runs).
    result = CliRunner().invoke(app, [*args, "--help"])
    assert result.exit_code == 0, f"{where}: `talentflow {' '.join(args)}`: {result.output}"

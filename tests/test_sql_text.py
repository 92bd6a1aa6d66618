"""No SQL text built from input: the source is checked for it, and quoting attacks go through every path by which a
name or a value from outside reaches a statement (CSV and Parquet headers, --map columns, cells, defaults,
--source, --observed-at, file and store paths)."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from talentflow import Store, ingest
from talentflow._sql import ident, literal

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "talentflow"

# -- the source ------------------------------------------------------------------------------------------------

_SQL = re.compile(
    r"\b(SELECT|INSERT|CREATE|UPDATE|DELETE|ALTER|DROP|WHERE|JOIN|CASE WHEN|read_csv|read_json|read_parquet|"
    r"COPY|ATTACH|PRAGMA)\b"
)
#: Names that hold what came from outside (a header, a column, a path, a value given on the command line): in
#: SQL text they may appear only inside ``literal(...)`` or ``ident(...)``.
TAINTED_NAMES = {
    "header",
    "columns",
    "column",
    "col_name",
    "metric_col",
    "display",
    "path",
    "mapping",
    "defaults",
    "value",
    "values",
    "text",
    "raw_value",
    "name_given",
}
#: Attributes that hold the same, whatever object carries them.
TAINTED_ATTRIBUTES = {"display", "path", "mapping", "defaults", "source", "header", "observed_at", "input"}
QUOTING = {"literal", "ident"}


def _is_quoting(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and (
        (isinstance(node.func, ast.Name) and node.func.id in QUOTING)
        or (isinstance(node.func, ast.Attribute) and node.func.attr in QUOTING)
    )


def _tainted(node: ast.AST) -> list[str]:
    """Uses of tainted names in ``node`` that no quoting call wraps."""
    if _is_quoting(node):
        return []
    if isinstance(node, ast.IfExp):  # `literal(x) if x else 'NULL'`: the test puts nothing into the text
        return _tainted(node.body) + _tainted(node.orelse)
    found = []
    if isinstance(node, ast.Name) and node.id in TAINTED_NAMES:
        found.append(node.id)
    if isinstance(node, ast.Attribute) and node.attr in TAINTED_ATTRIBUTES:
        found.append(ast.unparse(node))
        return found  # ctx.path.name is the same use, said once
    for child in ast.iter_child_nodes(node):
        found.extend(_tainted(child))
    return found


def _sql_text(node: ast.AST) -> str | None:
    """The constant text of an f-string, a ``%`` format or a ``.format`` call, if it looks like SQL."""
    if isinstance(node, ast.JoinedStr):
        text = "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and isinstance(node.left, ast.Constant):
        text = str(node.left.value)
    elif (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
        and isinstance(node.func.value, ast.Constant)
    ):
        text = str(node.func.value.value)
    else:
        return None
    return text if _SQL.search(text) else None


def unquoted_inputs(source: str) -> list[tuple[int, str]]:
    """(line, what) for each SQL string built by formatting a tainted name that no quoting call wraps."""
    out = []
    for node in ast.walk(ast.parse(source)):
        if _sql_text(node) is None:
            continue
        if isinstance(node, ast.JoinedStr):
            parts: list[ast.AST] = [v.value for v in node.values if isinstance(v, ast.FormattedValue)]
        elif isinstance(node, ast.BinOp):
            parts = [node.right]
        else:
            assert isinstance(node, ast.Call)
            parts = [*node.args, *(k.value for k in node.keywords)]
        for part in parts:
            out.extend((node.lineno, name) for name in _tainted(part))
    return out


def test_the_check_finds_sql_built_from_input() -> None:
    bad = """
def f(con, header, ctx, name):
    con.execute(f"SELECT {header[0]} FROM t")
    con.execute("SELECT * FROM read_csv('%s')" % ctx.path)
    con.execute("SELECT {} FROM t WHERE x = 1".format(ctx.source))
    con.execute(f"CREATE TABLE {name} AS SELECT {ident(header[0])}, {literal(str(ctx.path))}")
"""
    assert unquoted_inputs(bad) == [(3, "header"), (4, "ctx.path"), (5, "ctx.source")]


def test_no_sql_in_src_is_built_from_input() -> None:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for line, what in unquoted_inputs(path.read_text(encoding="utf-8")):
            found.append(f"{path.relative_to(ROOT)}:{line}: {what}")
    assert not found, "SQL text formatted from input; use parameters, literal() or ident():\n" + "\n".join(found)


# -- the quoting helper ----------------------------------------------------------------------------------------

ATTACKS = [
    'ti"tle',
    "it's",
    "a;b",
    "x)",
    '"; DROP TABLE area; --',
    "'; DROP TABLE area; --",
    "(select string_agg(content, '') from read_text('/etc/passwd'))",
    "\" || (select string_agg(content, '') from read_text('/etc/passwd')) || \"",
    "' || (select string_agg(content, '') from read_text('/etc/passwd')) || '",
    "line\nbreak",
    "tab\there",
    "nul\x00byte",
    "Москва ✓ 𝔘",
    "\\' OR 1=1 --",
    "$$dollar$$",
    "{braces}",
    "",
]
SECRET = "root:"  # the first field of /etc/passwd, which no attack may bring into the store


@pytest.mark.parametrize("text", ATTACKS)
def test_literal_and_ident_carry_any_text(text):
    con = duckdb.connect()
    assert con.execute(f"SELECT {literal(text)}").fetchone() == (text,)
    if "\x00" not in text and text:
        assert con.execute(f"SELECT 1 AS {ident(text)}").description[0][0] == text


def test_ident_refuses_nul():
    with pytest.raises(ValueError, match="NUL"):
        ident("a\x00b")


def _stored(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def _no_secret(db: Path) -> None:
    with Store(db, read_only=True) as store:
        dump = json.dumps(store.snapshot(), default=str, ensure_ascii=False)
    assert SECRET not in dump


def _csv_cell(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


HEADER_ATTACKS = [a for a in ATTACKS if a and "\x00" not in a]


@pytest.mark.parametrize("name", HEADER_ATTACKS)
def test_hostile_csv_header_names_through_map(tmp_path, db, cli, name):
    """A header name of any text, mapped by name with --map: read by position, the name never runs."""
    path = tmp_path / "x.csv"
    path.write_text(f"id,{_csv_cell(name)},published_at\n1,{_csv_cell(name)},2022-03-01\n", encoding="utf-8")
    mapping = ("--map", f"{name}=title", "--map", "id=vacancy_id", "--map", "published_at=published_at")
    summary = cli.json("ingest", path, "--db", db, *mapping)
    assert (summary["read"], summary["accepted"]) == (1, 1)
    assert _stored(db, "SELECT vacancy_id, title FROM vacancy_observation") == [("1", name)]
    _no_secret(db)


@pytest.mark.parametrize("value", [a for a in ATTACKS if "\x00" not in a])
def test_hostile_cells_defaults_and_source(tmp_path, db, cli, value):
    """Cells, --source and a mapping file's defaults: stored as the text they are."""
    path = tmp_path / "x.csv"
    path.write_text(f"id,name,published_at\n7,{_csv_cell(value)},2022-03-01\n", encoding="utf-8")
    mapping = tmp_path / "map.toml"
    toml_value = json.dumps(value or "x", ensure_ascii=False)
    mapping.write_text(f"[defaults]\nemployer_name = {toml_value}\n", encoding="utf-8")
    cli("ingest", path, "--db", db, "--source", value or "x", "--map-file", mapping, "--json")
    rows = _stored(db, "SELECT source, title, employer_name FROM vacancy_observation")
    assert rows == [(value or "x", value if value else None, value or "x")]
    _no_secret(db)


@pytest.mark.parametrize("name", [a for a in ATTACKS if a])
def test_hostile_parquet_column_names(tmp_path, db, name):
    path = tmp_path / "x.parquet"
    table = pa.table({"id": ["1"], name: ["a title"], "published_at": ["2022-03-01"]})
    pq.write_table(table, path)
    report = ingest([path], db=db, mapping={name: "title", "id": "vacancy_id", "published_at": "published_at"})
    assert (report.read, report.accepted) == (1, 1)
    assert _stored(db, "SELECT title FROM vacancy_observation") == [("a title",)]
    _no_secret(db)


@pytest.mark.parametrize("name", HEADER_ATTACKS)
def test_hostile_innovation_graph_metric_names(tmp_path, db, name):
    """The metric's name is the first column's header: stored as a value, never run."""
    path = tmp_path / "m.csv"
    path.write_text(f"{_csv_cell(name)},iso2_code,year,quarter\n5,RU,2022,1\n", encoding="utf-8")
    report = ingest([path], db=db)
    assert (report.read, report.accepted) == (1, 1)
    assert _stored(db, "SELECT metric, value FROM population") == [(name, 5.0)]
    _no_secret(db)


@pytest.mark.parametrize("name", ["it's", 'a"b', "a;b)", "x' || (select 1) || '"])
def test_hostile_file_and_store_paths(tmp_path, name):
    folder = tmp_path / name
    folder.mkdir()
    path = folder / f"{name}.ndjson"
    path.write_text('{"id": "1", "name": "t", "published_at": "2022-03-01T10:00:00+0300"}\n')
    db = folder / f"{name}.duckdb"
    report = ingest([path], db=db)
    assert (report.read, report.accepted) == (1, 1)
    assert _stored(db, "SELECT input FROM ingest_log") == [(str(path),)]

"""The store's tables as Parquet files for Spark: partitioned, incremental, with its state in a manifest.

Record tables are written in partitions by source and month of observation (``<table>/source=…/month=…/``),
the small tables whole (``<table>/``). An export writes only the ingests not yet exported, as new files; the
manifest (``_talentflow_export.json``) lists the ingests exported and every file a reader should read, with what
identifies the store's state. When that state no longer continues the one exported (the store rebuilt or rolled
back, an exported ingest's rows changed in number, the area tree or the dictionaries reloaded: those rewrite
stored records), everything is exported again. docs/indicators.md, "The Parquet export".

Crash-safe for readers: files are written into a staging folder, moved in, and only then listed in the manifest,
which is replaced in one step; files it does not list are removed afterwards (and at the next export).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from talentflow import model
from talentflow._sql import literal
from talentflow.store import Store

MANIFEST = "_talentflow_export.json"
FORMAT = 2
#: Written in partitions by source and month, and incrementally by ingest.
PARTITIONED = ("vacancy_observation", "resume_observation")
#: Written whole whenever an ingest adds to them.
WHOLE = ("population", "series")
TABLES = (*PARTITIONED, *WHOLE)
#: Tables whose reloading rewrites stored records (`talentflow reference`): a change forces a full export.
REWRITERS = ("area", "dictionary")
#: What an export of an older talentflow left (one file per table and a stamp), removed on the first export.
_LEGACY = (*(f"{t}.parquet" for t in TABLES), "_talentflow_stamp.json")


@dataclass
class Export:
    """What one export did: ``full`` (everything rewritten) or incremental, the ingests and files it wrote."""

    folder: Path
    full: bool
    ingests: list[int] = field(default_factory=list)
    written: list[str] = field(default_factory=list)


def _state(store: Store) -> dict[str, Any]:
    """What identifies the store's content as far as the export goes."""
    con = store.con
    present = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE NOT temporary").fetchall()}
    schema = "\n".join(model.BY_NAME[t].ddl() for t in TABLES)
    reference = {}
    for name in REWRITERS:
        if name in present:
            n, h = con.execute(f"SELECT count(*), bit_xor(hash(t)) FROM {name} t").fetchone()  # type: ignore[misc]
            reference[name] = [n, str(h)]
    log = con.execute("SELECT ingest_id, sha256, started_at::VARCHAR FROM ingest_log ORDER BY ingest_id").fetchall()
    rows = {}
    for name in TABLES:
        counts = con.execute(f"SELECT ingest_id, count(*) FROM {name} GROUP BY ingest_id").fetchall()
        rows[name] = {_key(i): n for i, n in counts}
    return {
        "format": FORMAT,
        "store": str(store.path.resolve()),
        "schema": hashlib.sha256(schema.encode()).hexdigest(),
        "reference": reference,
        "ingests": {str(i): [sha, started] for i, sha, started in log},
        "rows": rows,
    }


def _key(ingest_id: int | None) -> str:
    # Records from before the ingest log was kept have no ingest: they can only be exported all at once.
    return "none" if ingest_id is None else str(ingest_id)


def _continues(old: dict[str, Any], now: dict[str, Any]) -> bool:
    """Whether ``now`` is ``old`` with ingests added: then only those need writing."""
    if any(old.get(k) != now[k] for k in ("format", "store", "schema", "reference")):
        return False
    if any(now["ingests"].get(i) != entry for i, entry in old["ingests"].items()):
        return False
    exported = {*old["ingests"], "none"}
    for name in TABLES:
        before, after = old["rows"].get(name, {}), now["rows"][name]
        if any(before.get(i, 0) != after.get(i, 0) for i in exported | set(before)):
            return False
    return True


def _read_manifest(folder: Path) -> dict[str, Any] | None:
    try:
        found = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) and found.get("format") == FORMAT else None


def read_files(folder: Path) -> dict[str, list[Path]] | None:
    """The files of each table an export in ``folder`` lists, or None when there is no export there."""
    manifest = _read_manifest(folder)
    if manifest is None:
        return None
    return {t: [folder / f for f in manifest["files"][t]] for t in TABLES}


def export(db: str | os.PathLike[str] | None, folder: Path | None = None) -> Export:
    """Bring the Parquet export in ``folder`` (default: ``<store>.parquet/`` beside the store) up to date."""
    with Store(db, read_only=True) as store:
        target = (folder or store.path.with_name(store.path.name + ".parquet")).resolve()
        now = _state(store)
        old = _read_manifest(target)
        full = old is None or not _continues(old, now)
        done = set() if full or old is None else set(old["ingests"]) | {"none"}
        new = {i for rows in now["rows"].values() for i in rows} | set(now["ingests"])
        fresh = sorted(new - done)
        result = Export(target, full, [int(i) for i in fresh if i != "none"])
        files: dict[str, list[str]] = {t: [] if full or old is None else list(old["files"][t]) for t in TABLES}
        if not full and not fresh:
            _remove_unlisted(target, files)
            return result
        sequence = (old or {}).get("exports", 0) + 1
        staging = target / "_staging"
        shutil.rmtree(staging, ignore_errors=True)
        for name in TABLES:
            if name in WHOLE and not full and not set(fresh) & set(now["rows"][name]):
                continue
            ids = fresh if name in PARTITIONED and not full else None
            moved = _move(staging, target, _write(store, name, staging / name, sequence, ids))
            files[name] = moved if name in WHOLE else files[name] + moved
            result.written += moved
        for name in TABLES:
            if not files[name]:
                files[name] = _move(staging, target, [_write_empty(store, name, staging / name, sequence)])
                result.written += files[name]
    shutil.rmtree(staging, ignore_errors=True)
    manifest = {**now, "exports": sequence, "files": files}
    temporary = target / (MANIFEST + ".tmp")
    temporary.write_text(json.dumps(manifest, indent=1, sort_keys=True))
    os.replace(temporary, target / MANIFEST)
    _remove_unlisted(target, files)
    return result


def _write(store: Store, name: str, folder: Path, sequence: int, ids: list[str] | None) -> list[str]:
    """Copy ``name`` (only the ingests ``ids``, or all) into ``folder``; the files written, relative to the export
    folder."""
    numbers = [int(i) for i in (ids or []) if i != "none"]
    where = "" if ids is None else f"WHERE ingest_id IN ({', '.join(str(n) for n in numbers) or 'NULL'})"
    before = set(folder.rglob("*.parquet")) if folder.exists() else set()
    folder.mkdir(parents=True, exist_ok=True)
    pattern = literal(f"e{sequence}_{{i}}")
    if name in PARTITIONED:
        month = "strftime(observed_at AT TIME ZONE 'UTC', '%Y-%m') AS month"
        store.con.execute(
            f"COPY (SELECT *, {month} FROM {name} {where}) TO {literal(str(folder))} "
            f"(FORMAT parquet, PARTITION_BY (source, month), WRITE_PARTITION_COLUMNS true, "
            f"FILENAME_PATTERN {pattern}, OVERWRITE_OR_IGNORE)"
        )
    else:
        store.con.execute(f"COPY {name} TO {literal(str(folder / f'e{sequence}_0.parquet'))} (FORMAT parquet)")
    made = sorted(set(folder.rglob("*.parquet")) - before)
    return [str(f.relative_to(folder.parent.parent)) for f in made]


def _write_empty(store: Store, name: str, folder: Path, sequence: int) -> str:
    """A file with the table's columns and no rows: Spark cannot read a table that has no file."""
    folder.mkdir(parents=True, exist_ok=True)
    month = ", NULL::VARCHAR AS month" if name in PARTITIONED else ""
    target = folder / f"e{sequence}_empty.parquet"
    store.con.execute(f"COPY (SELECT *{month} FROM {name} LIMIT 0) TO {literal(str(target))} (FORMAT parquet)")
    return str(target.relative_to(folder.parent.parent))


def _move(staging: Path, target: Path, relative: list[str]) -> list[str]:
    """Move staged files into place (same paths under ``target``); a rename, so a reader sees whole files."""
    for rel in relative:
        source = staging / Path(rel).relative_to("_staging")
        destination = target / Path(rel).relative_to("_staging")
        destination.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, destination)
    return [str(Path(rel).relative_to("_staging")) for rel in relative]


def _remove_unlisted(target: Path, files: dict[str, list[str]]) -> None:
    """Remove what no manifest lists: files replaced by this export, or left by one that crashed."""
    listed = {target / f for fs in files.values() for f in fs}
    for name in _LEGACY:
        (target / name).unlink(missing_ok=True)
    for name in TABLES:
        folder = target / name
        if not folder.exists():
            continue
        for file in folder.rglob("*.parquet"):
            if file not in listed:
                file.unlink()
        for d in sorted((p for p in folder.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
            if not any(d.iterdir()):
                d.rmdir()

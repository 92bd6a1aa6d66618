"""What an adapter hands to the ingest: staged records, one temp table per canonical table.

A staged table has the canonical columns (without ``ingest_id``) and five bookkeeping columns:
``_reason`` (NULL for a good record, else why it is quarantined), ``_raw`` (its text, for quarantine),
``_loc`` (its location when known), ``_ref`` (for a line-based scan: the value that finds its line again)
and ``_ptr`` (a JSON pointer within the line, for items of a search page).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import duckdb

from talentflow.model import Table
from talentflow.sources._scan import Scan


@dataclass
class Context:
    con: duckdb.DuckDBPyConnection
    path: Path
    display: str
    now: datetime
    mapping: dict[str, str] = field(default_factory=dict)
    observed_at: datetime | None = None
    source: str | None = None
    builtin: str | None = None  # name of a built-in column mapping picked from the header
    #: Values for fields an input lacks (flat files: --currency, --area, --country, --it, a mapping file's
    #: [defaults]), by field name.
    defaults: dict[str, str] = field(default_factory=dict)
    tag: str = "0"  # makes staged table names unique per input of one command
    #: Read line by line, every line numbered and held to the line limit (no fast path that parses the file
    #: whole): for an input with lines over the limit, which a fast reader could take in.
    careful: bool = False

    def table(self, base: str) -> str:
        """Name of a staged temporary table for this input."""
        return f"{base}_{self.tag}"


@dataclass
class Staged:
    table: Table
    name: str
    scan: Scan | None = None
    ref_sql: str | None = None
    #: SQL condition selecting this table's rows when one staged table feeds several canonical tables.
    where: str = "true"


@dataclass
class StageResult:
    staged: list[Staged]
    #: Records that could not be read at all: (location, raw, reason).
    rejects: list[tuple[str, str, str]] = field(default_factory=list)
    #: Notes for the user that are not errors (e.g. areas missing from the area tree).
    warnings: list[str] = field(default_factory=list)
    #: How the input's columns were read, for the ingest's report (flat files: the layout, column → field).
    mapping: dict[str, Any] | None = None


@dataclass
class Direct:
    """An input that can go straight into one canonical table when every record in it is clean.

    ``sql`` gives the table's columns (without ``ingest_id``) and ``clean``, a condition that holds for a
    record that is storable as it is (no reason to quarantine it, of the kind the table holds). The ingest
    inserts the rows inside its transaction, without staging them, and abandons the attempt (rolling
    back) at the first record that is not clean or whose key is already stored; the input is then staged.
    """

    table: Table
    sql: str
    clean: str


class Adapter(Protocol):
    name: str

    def stage(self, ctx: Context) -> StageResult: ...


@runtime_checkable
class DirectAdapter(Adapter, Protocol):
    """An adapter that can offer an input for a direct insert (see ``Direct``)."""

    def direct(self, ctx: Context) -> Direct | None: ...

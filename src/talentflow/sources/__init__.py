"""Adapters: one per external format. An adapter parses and maps to the canonical model; nothing more."""

from __future__ import annotations

from pathlib import Path

from talentflow.errors import InputError
from talentflow.sources._base import Adapter, Context, Direct, DirectAdapter, Staged, StageResult
from talentflow.sources._text import PARQUET_MAGIC, gzip_problem, head, header_of

FORMATS = ("auto", "hh", "csv", "jsonld", "innovation-graph", "hiring-lab", "cbr-xml")

__all__ = ["FORMATS", "Adapter", "Context", "Direct", "DirectAdapter", "StageResult", "Staged", "adapter", "detect"]


def adapter(name: str) -> Adapter:
    from talentflow.sources.cbr import CbrAdapter
    from talentflow.sources.flat import FlatAdapter
    from talentflow.sources.hh import HHAdapter
    from talentflow.sources.hiring_lab import HiringLabAdapter
    from talentflow.sources.innovation_graph import InnovationGraphAdapter
    from talentflow.sources.jsonld import JsonLdAdapter

    adapters: dict[str, Adapter] = {
        "hh": HHAdapter(),
        "csv": FlatAdapter(),
        "jsonld": JsonLdAdapter(),
        "innovation-graph": InnovationGraphAdapter(),
        "hiring-lab": HiringLabAdapter(),
        "cbr-xml": CbrAdapter(),
    }
    return adapters[name]


def detect(path: Path, *, has_mapping: bool = False) -> str | None:
    """The format of an input from its content; None for an empty file.

    Raises InputError for content talentflow cannot read (binary, an unknown CSV header without a mapping). A CSV
    is recognised by its header: a built-in layout, or the fields of an hh.ru vacancy flattened by pandas.
    """
    data = head(path)
    if not data:
        if (problem := gzip_problem(path)) is not None:
            raise InputError(f"{path}: not a readable gzip file ({problem})")
        return None
    if data.startswith(PARQUET_MAGIC):
        return "csv"
    if b"\x00" in data:
        raise InputError(f"{path}: binary content, not a format talentflow reads (JSON, NDJSON, CSV, Parquet)")
    text = data.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    if not text:
        return None  # blank lines are no records: as empty as an empty file
    if text[:1] == "<":
        from talentflow.sources.cbr import matches as is_cbr

        if is_cbr(data):
            return "cbr-xml"
        raise InputError(
            f"{path}: XML other than the Bank of Russia's daily rates (a ValCurs document), the only XML talentflow "
            "reads"
        )
    if text[:1] in "{[":
        if '"@context"' in text[:4096] or ('"@type"' in text and "JobPosting" in text):
            return "jsonld"
        return "hh"
    header = header_of(text)
    from talentflow.sources.hiring_lab import matches as is_hiring_lab
    from talentflow.sources.innovation_graph import matches as is_innovation_graph

    if is_innovation_graph(header):
        return "innovation-graph"
    if is_hiring_lab(header):
        return "hiring-lab"
    from talentflow.sources._flat_layout import recognise

    if recognise(header) is not None or has_mapping:
        return "csv"
    raise InputError(
        f"{path}: a CSV whose header ({', '.join(header[:12])}) matches no built-in format; "
        "map its columns with --map COLUMN=FIELD or --map-file (`talentflow ingest --suggest-map FILE` writes one "
        "to start from; see `talentflow ingest --help`)"
    )

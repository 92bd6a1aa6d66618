"""Opening inputs: plain or gzip-compressed, as bytes or text."""

from __future__ import annotations

import csv
import gzip
import io
import zlib
from pathlib import Path
from typing import IO

from talentflow.errors import InputError

GZIP_MAGIC = b"\x1f\x8b"
PARQUET_MAGIC = b"PAR1"


def is_gzip(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(2) == GZIP_MAGIC


def open_bytes(path: Path) -> gzip.GzipFile | io.BufferedReader:
    # Not IO[bytes]: typeshed declares GzipFile a BufferedIOBase only.
    return gzip.open(path, "rb") if is_gzip(path) else open(path, "rb")


def open_text(path: Path) -> IO[str]:
    return io.TextIOWrapper(open_bytes(path), encoding="utf-8-sig", errors="replace")


def head(path: Path, size: int = 1 << 16) -> bytes:
    """The first bytes of the input's content, decompressed."""
    with open_bytes(path) as f:
        try:
            return f.read(size)
        except (OSError, EOFError, zlib.error) as exc:
            raise InputError(f"{path}: not a readable gzip file ({exc})") from None


def header_of(text: str) -> list[str]:
    first = text.split("\n", 1)[0].rstrip("\r")
    try:
        return [h.strip() for h in next(csv.reader(io.StringIO(first)))]
    except StopIteration:
        return []

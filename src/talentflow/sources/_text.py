"""Opening inputs: plain or gzip-compressed, as bytes or text, with damage said rather than raised.

A gzip file is decompressed here member by member (raw deflate, the CRC checked by hand), so that a bad CRC,
bytes after the end of the stream, or a stream that ends early are noted in ``Gzip.problem`` while every byte
that could be decompressed is still handed on. Python's ``gzip`` module raises on each of these and loses the
data decompressed in the same call.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Protocol, cast

from isal import isal_zlib
from isal.igzip_lib import IsalError

from talentflow.errors import InputError

GZIP_MAGIC = b"\x1f\x8b"
PARQUET_MAGIC = b"PAR1"
_CHUNK = 1 << 20
# The stubs declare IsalError an instance; it is the class isal raises.
_DEFLATE_ERRORS: tuple[type[Exception], ...] = (zlib.error, cast(type[Exception], IsalError))
#: Lines longer than this are quarantined; TALENTFLOW_MAX_LINE_BYTES sets another limit (tests use a small one).
DEFAULT_MAX_LINE_BYTES = 16 << 20


def max_line_bytes() -> int:
    value = os.environ.get("TALENTFLOW_MAX_LINE_BYTES", "")
    return int(value) if value.isdigit() and int(value) > 0 else DEFAULT_MAX_LINE_BYTES


def is_gzip(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(2) == GZIP_MAGIC


class _Reader(Protocol):
    def read(self, n: int = -1, /) -> bytes: ...


class Gzip:
    """The content of a gzip file, member after member, as chunks; ``problem`` says what was wrong, if anything."""

    def __init__(self, f: _Reader) -> None:
        self.f = f
        self.buf = b""
        self.read_bytes = 0
        self.problem: str | None = None
        #: Where the bytes that are not gzip data begin, when a stream is followed by them.
        self.garbage_at: int | None = None
        self.members = 0

    def _more(self, n: int) -> bool:
        """Read until ``buf`` holds ``n`` bytes; False at the end of the file first."""
        while len(self.buf) < n:
            data = self.f.read(_CHUNK)
            if not data:
                return False
            self.read_bytes += len(data)
            self.buf += data
        return True

    def chunks(self) -> Iterator[bytes]:
        while self._more(1):
            if self.buf[:2] == GZIP_MAGIC and not self._more(10):
                self.problem = "the gzip stream ends early (the file is cut off)"
                return
            if not self._more(10) or self.buf[:2] != GZIP_MAGIC or self.buf[2] != 8:
                if self.members and not self.buf.strip(b"\x00") and not self._rest_nonzero():
                    return  # zero padding after the last member, as tape tools write
                self.garbage_at = self.read_bytes - len(self.buf)
                self.problem = f"bytes after the end of the gzip stream (from byte {self.garbage_at:,}) are not gzip"
                return
            start = self._header_end()
            if start is None:
                self.problem = "the gzip stream ends early (the file is cut off)"
                return
            self.buf = self.buf[start:]
            yield from self._member()
            if self.problem is not None:
                return

    def _rest_nonzero(self) -> bool:
        while data := self.f.read(_CHUNK):
            self.read_bytes += len(data)
            if data.strip(b"\x00"):
                self.buf += data
                return True
        return False

    def _header_end(self) -> int | None:
        flags, i = self.buf[3], 10
        if flags & 4:  # FEXTRA
            if not self._more(i + 2):
                return None
            i += 2 + int.from_bytes(self.buf[i : i + 2], "little")
        for bit in (8, 16):  # FNAME, FCOMMENT: zero-terminated
            if flags & bit:
                while (end := self.buf.find(b"\x00", i)) < 0:
                    if not self._more(len(self.buf) + 1):
                        return None
                i = end + 1
        if flags & 2:  # FHCRC
            i += 2
        return i if self._more(i) else None

    def _member(self) -> Iterator[bytes]:
        d = isal_zlib.decompressobj(-15)
        crc, size, data = 0, 0, self.buf
        self.buf = b""
        while True:
            try:
                out = d.decompress(data)
            except _DEFLATE_ERRORS as exc:
                self.problem = f"the gzip data is damaged ({exc})"
                return
            crc, size = isal_zlib.crc32(out, crc), size + len(out)
            if out:
                yield out
            if d.eof:
                self.buf = d.unused_data
                break
            data = self.f.read(_CHUNK)
            self.read_bytes += len(data)
            if not data:
                self.problem = "the gzip stream ends early (the file is cut off)"
                return
        if not self._more(8):
            self.problem = "the gzip stream ends early (the file is cut off)"
            return
        stored_crc, stored_size = int.from_bytes(self.buf[:4], "little"), int.from_bytes(self.buf[4:8], "little")
        self.buf = self.buf[8:]
        self.members += 1
        if stored_crc != crc or stored_size != size & 0xFFFFFFFF:
            self.problem = "the gzip CRC check failed: the decompressed data is not what was compressed"


def content(path: Path) -> Iterator[bytes]:
    """The input's content in chunks, decompressed; damage to a gzip stream ends it quietly (see ``Gzip``)."""
    with open(path, "rb") as f:
        if f.read(2) != GZIP_MAGIC:
            f.seek(0)
            while data := f.read(_CHUNK):
                yield data
            return
        f.seek(0)
        yield from Gzip(f).chunks()


def head(path: Path, size: int = 1 << 16) -> bytes:
    """The first bytes of the input's content, decompressed."""
    out = b""
    for chunk in content(path):
        out += chunk
        if len(out) >= size:
            break
    return out[:size]


def read_all(path: Path) -> bytes:
    return b"".join(content(path))


def header_of(text: str) -> list[str]:
    """The first record of a CSV text: its header (a quoted name may hold a line break)."""
    try:
        return [h.strip() for h in next(csv.reader(io.StringIO(text)))]
    except (StopIteration, csv.Error):
        return []


@dataclass
class Inspection:
    """What a pass over an input's bytes finds, beside the parse (``inspect``)."""

    sha256: str
    #: What is wrong with a gzip input's stream (see ``Gzip``), else None.
    gzip_problem: str | None = None
    #: For a stream followed by other bytes: the offset where they begin, and the first of them.
    garbage: tuple[int, bytes] | None = None
    #: (line number, offset in the content) of each line longer than ``max_line_bytes()``.
    long_lines: list[tuple[int, int]] = field(default_factory=list)


def inspect(path: Path) -> Inspection:
    """SHA-256 of the file's bytes, the state of its gzip stream, and the lines over the line limit.

    DuckDB's line reader quarantines a line over its limit, but one longer than its buffer (16 times the
    limit) it skips without a word; this pass finds every such line, so that none is lost from the counts.
    """
    digest = hashlib.sha256()
    limit = max_line_bytes()
    lines = _LongLines(limit)
    with open(path, "rb") as raw:
        hashing = _Hashing(raw, digest)
        gz = Gzip(hashing) if raw.read(2) == GZIP_MAGIC else None
        raw.seek(0)
        chunks = gz.chunks() if gz is not None else iter(lambda: hashing.read(_CHUNK), b"")
        for chunk in chunks:
            lines.feed(chunk)
        lines.close()
        while hashing.read(_CHUNK):  # bytes after damage are hashed too
            pass
    garbage = None
    if gz is not None and gz.garbage_at is not None:
        with open(path, "rb") as raw:
            raw.seek(gz.garbage_at)
            garbage = (gz.garbage_at, raw.read(1 << 16))
    return Inspection(digest.hexdigest(), gz.problem if gz else None, garbage, lines.found)


class _Hashing:
    """A file whose bytes go through a hash as they are read."""

    def __init__(self, f: BinaryIO, digest: hashlib._Hash) -> None:
        self.f, self.digest = f, digest

    def read(self, n: int = -1) -> bytes:
        data = self.f.read(n)
        self.digest.update(data)
        return data


class _LongLines:
    """Lines longer than ``limit`` bytes, found from newline positions at chunk edges only (a line inside a
    chunk no longer than the limit cannot be longer than the limit)."""

    def __init__(self, limit: int) -> None:
        self.limit, self.offset, self.start, self.line = limit, 0, 0, 1
        self.found: list[tuple[int, int]] = []

    def feed(self, chunk: bytes) -> None:
        for piece in (chunk[i : i + self.limit] for i in range(0, len(chunk), self.limit)):
            first = piece.find(b"\n")
            if first >= 0:
                if self.offset + first - self.start > self.limit:
                    self.found.append((self.line, self.start))
                n = piece.count(b"\n")
                self.line += n
                self.start = self.offset + piece.rfind(b"\n") + 1
            self.offset += len(piece)

    def close(self) -> None:
        if self.offset - self.start > self.limit:
            self.found.append((self.line, self.start))


def line_at(path: Path, offset: int, size: int) -> bytes:
    """``size`` bytes of the content from ``offset``: the start of a line found by ``inspect``."""
    skipped = 0
    for chunk in content(path):
        if skipped + len(chunk) > offset:
            out = chunk[max(0, offset - skipped) :]
            return out[:size]
        skipped += len(chunk)
    return b""


def plain_copy(path: Path, target: Path) -> Path:
    """The input's readable content as a plain file: decompressed, every CR LF as LF.

    For inputs DuckDB's readers stop on: a gzip stream followed by other bytes, and a file that mixes CR LF and LF
    line ends (its CSV reader finds the mix an invalid state). Lines keep their numbers.
    """
    with open(target, "wb") as out:
        carry = b""
        for chunk in content(path):
            data = carry + chunk
            carry = b"\r" if data.endswith(b"\r") else b""
            out.write(data[: len(data) - len(carry)].replace(b"\r\n", b"\n"))
        out.write(carry)
    return target


def gzip_problem(path: Path) -> str | None:
    """What is wrong with a gzip input's stream, or None (also for a plain file)."""
    with open(path, "rb") as f:
        if f.read(2) != GZIP_MAGIC:
            return None
        f.seek(0)
        gz = Gzip(f)
        for _ in gz.chunks():
            pass
        return gz.problem


def not_parquet_gzip(path: Path) -> None:
    """Parquet compresses its own pages; a gzip around it is not read (Arrow and DuckDB need to seek in it)."""
    if is_gzip(path) and head(path, 4) == PARQUET_MAGIC:
        raise InputError(f"{path}: a gzip-compressed Parquet file: decompress it (gunzip) and ingest the .parquet")

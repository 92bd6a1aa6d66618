"""The download cache: one folder per source, its files under their upstream names, and a manifest saying where
each came from (URL, ETag, Last-Modified, SHA-256, size, when it was downloaded and last checked)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from talentflow.errors import InputError

ENV_CACHE = "TALENTFLOW_CACHE"
MANIFEST = "manifest.json"
LOCK = ".lock"


def default_cache() -> Path:
    """``$TALENTFLOW_CACHE``, else ``$XDG_CACHE_HOME/talentflow``, else ``~/.cache/talentflow``."""
    if given := os.environ.get(ENV_CACHE):
        return Path(given)
    xdg = os.environ.get("XDG_CACHE_HOME")
    # The XDG spec says a relative value is invalid and to be ignored.
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    return base / "talentflow"


@dataclass
class Entry:
    url: str
    sha256: str
    bytes: int
    downloaded_at: str
    checked_at: str
    etag: str | None = None
    last_modified: str | None = None


class Manifest:
    """``manifest.json`` of one source's folder. Saved whole through a temporary file, so that a crash leaves
    the previous manifest, never half of one."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / MANIFEST
        self.entries: dict[str, Entry] = {}
        if self.path.is_file():
            try:
                doc = json.loads(self.path.read_text(encoding="utf-8"))
                self.entries = {name: Entry(**e) for name, e in doc.get("files", {}).items()}
            except (ValueError, TypeError, AttributeError):
                # A manifest that does not read is only a lost hint: every file is then downloaded afresh.
                self.entries = {}

    def get(self, name: str) -> Entry | None:
        return self.entries.get(name)

    def put(self, name: str, entry: Entry) -> None:
        self.entries[name] = entry
        self.save()

    def save(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        doc: dict[str, Any] = {"files": {n: asdict(e) for n, e in sorted(self.entries.items())}}
        write_atomic(self.path, (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode())


def write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


@contextlib.contextmanager
def locked(folder: Path) -> Iterator[None]:
    """One download into a source's folder at a time: two (a nightly timer and a hand-run fetch) would write
    the same partial files and each lose the other's manifest entries. The lock goes with the process, so a
    killed fetch leaves none behind."""
    folder.mkdir(parents=True, exist_ok=True)
    if sys.platform == "win32":  # no flock there; a second fetch at once is then the user's to avoid
        yield
        return
    import fcntl

    with (folder / LOCK).open("a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InputError(
                f"another talentflow fetch is downloading into {folder}; wait for it to end (it holds {LOCK} there)",
                param="cache",
            ) from None
        yield

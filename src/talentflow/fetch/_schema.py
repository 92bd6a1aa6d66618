"""Is a downloaded file still the layout talentflow reads? A CSV's header, a JSON document's shape.

Checked before a download replaces the cached copy and before anything is ingested, so that an upstream change
stops the fetch with a message naming the file and the change instead of filling the store with quarantine.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from talentflow.fetch.sources import RemoteFile

#: The dictionaries of GET /dictionaries that talentflow cannot do without (work_format came later).
NEEDED_DICTIONARIES = ("schedule", "experience", "employment")


def problem(path: Path, file: RemoteFile) -> str | None:
    """What makes ``path`` unreadable as ``file``, in words; None when it reads."""
    if file.columns is not None:
        return _csv_problem(path, file)
    if file.shape == "valcurs":
        return _valcurs_problem(path)
    try:
        doc = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        return f"not JSON ({_start(path)}: {exc})"
    return json_problem(doc, file)


def _csv_problem(path: Path, file: RemoteFile) -> str | None:
    assert file.columns is not None
    with path.open("rb") as f:
        first = f.readline(1 << 16).decode("utf-8-sig", errors="replace").rstrip("\r\n")
    if not first.strip():
        return "an empty file, not a CSV"
    if first.lstrip()[:1] in ("<", "{", "["):
        return f"not a CSV: it starts {_start(path)}"
    header = [h.strip() for h in next(csv.reader(io.StringIO(first)))]
    core = [h for h in header if h not in file.optional]
    if core == list(file.columns):
        return None
    expected = ",".join(file.columns)
    changes = []
    if added := [h for h in core if h not in file.columns]:
        changes.append("new: " + ", ".join(added))
    if gone := [h for h in file.columns if h not in core]:
        changes.append("gone: " + ", ".join(gone))
    if not changes:
        changes.append("the same columns in another order")
    return (
        f"the header changed: talentflow reads `{expected}`, the file has `{','.join(header)}` ({'; '.join(changes)})"
    )


def json_problem(doc: Any, file: RemoteFile) -> str | None:
    if file.shape == "areas":
        nodes = doc if isinstance(doc, list) else None
        if nodes and all(isinstance(n, dict) and {"id", "name", "areas"} <= n.keys() for n in nodes):
            return None
        return f"not hh.ru's area tree: expected a list of {{id, name, areas}} nodes, got {_shape(doc)}"
    if isinstance(doc, dict):
        missing = [k for k in NEEDED_DICTIONARIES if not isinstance(doc.get(k), list)]
        if not missing:
            return None
        return (
            f"not hh.ru's dictionaries: expected an object with the lists {', '.join(NEEDED_DICTIONARIES)}; "
            f"{', '.join(missing)} missing or not lists, got {_shape(doc)}"
        )
    return f"not hh.ru's dictionaries: expected an object of lists, got {_shape(doc)}"


def _valcurs_problem(path: Path) -> str | None:
    """The Bank of Russia's daily rates: a well-formed ValCurs document with a date and at least one rate."""
    from talentflow.sources.cbr import read

    data = path.read_bytes()
    if not data.lstrip().startswith(b"<"):
        return f"not XML: it starts {_start(path)}"
    reader, stopped = read(data, path.name)
    if stopped is not None:
        return f"{stopped[1]} at {stopped[0]}"
    if reader.day is None:
        return f"not the Bank of Russia's daily rates: no <ValCurs Date=…> element (it starts {_start(path)})"
    if not reader.rows:
        return f"no <Valute> rates in the ValCurs of {reader.day}"
    return None


def _shape(doc: Any) -> str:
    if isinstance(doc, dict):
        keys = list(doc)
        shown = ", ".join(keys[:8]) + (f" and {len(keys) - 8} more" if len(keys) > 8 else "")
        return f"an object with the keys {shown}" if keys else "an empty object"
    if isinstance(doc, list):
        if not doc:
            return "an empty list"
        first = doc[0]
        inner = (
            f"objects with the keys {', '.join(list(first)[:8])}" if isinstance(first, dict) else type(first).__name__
        )
        return f"a list of {inner}"
    return f"a {type(doc).__name__}"


def _start(path: Path) -> str:
    with path.open("rb") as f:
        text = f.read(60).decode("utf-8", errors="replace")
    return "`" + " ".join(text.split()) + "…`"

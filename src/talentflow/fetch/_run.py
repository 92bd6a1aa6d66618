"""``talentflow fetch``: a source's files into the cache (or taken from it), checked, then into the store."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from talentflow._version import __version__
from talentflow.errors import InputError, UsageError
from talentflow.fetch._cache import Entry, Manifest, default_cache, locked, sha256_of
from talentflow.fetch._schema import problem
from talentflow.fetch.sources import ENV_HH_USER_AGENT, SOURCES, RemoteFile, Source
from talentflow.store import Store

if TYPE_CHECKING:
    import httpx

    from talentflow.ingestion import IngestReport

#: Called as (event, payload): ("download", {"name", "index", "total"}) before each file is asked for,
#: ("bytes", (received, total or None)) while it arrives, then the ingest's own events (talentflow.ingestion).
ProgressHook = Callable[[str, Any], None]


@dataclass
class FileReport:
    name: str
    url: str
    #: ``network`` (asked for upstream this time) or ``cache`` (--offline).
    origin: str
    #: ``downloaded``, ``not modified`` (304: the cached copy stands) or ``cached`` (--offline).
    status: str
    #: Whether the content differs from the copy cached before; None when not asked (--offline).
    changed: bool | None
    bytes: int
    sha256: str
    path: str
    etag: str | None = None
    last_modified: str | None = None
    #: When this content was downloaded (the manifest's time); None for a file put in the cache by hand.
    downloaded_at: str | None = None
    attempts: int = 0


@dataclass
class FetchReport:
    source: str
    cache: str
    offline: bool
    files: list[FileReport]
    #: The ingest of a CSV source (``talentflow ingest``'s accounting).
    ingest: IngestReport | None = None
    #: hh-dictionaries: what became of the area tree and the dictionaries (``loaded`` false: the store held them).
    reference: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def downloaded(self) -> int:
        return sum(1 for f in self.files if f.status == "downloaded")

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "cache": self.cache,
            "offline": self.offline,
            "downloaded": self.downloaded,
            "files": [asdict(f) for f in self.files],
            "ingest": self.ingest.to_dict() if self.ingest is not None else None,
            "reference": self.reference or None,
        }


def fetch(
    source: str,
    *,
    cache: str | os.PathLike[str] | None = None,
    offline: bool = False,
    url_base: str | None = None,
    user_agent: str | None = None,
    token: str | None = None,
    db: str | os.PathLike[str] | None = None,
    store: Store | None = None,
    retries: int = 3,
    timeout: float = 60.0,
    backoff: float = 0.5,
    progress: ProgressHook | None = None,
) -> FetchReport:
    """Download ``source``'s files into ``cache`` (conditional GETs: unchanged files are not downloaded again),
    check that each still has the layout talentflow reads, then ingest them into the store. With ``offline``,
    the cached copies are used and the network is not touched. ``user_agent`` (required) and ``token`` (an
    hh.ru application token, optional) go to hh.ru only.

    Raises InputError when a file cannot be had (the server keeps failing, refuses, or the cache lacks it) or has
    changed its layout upstream; nothing is ingested then.
    """
    src = _source(source)
    _check_options(url_base, retries, timeout)
    folder = (Path(cache) if cache is not None else default_cache()) / src.name
    if offline:
        files = _from_cache(src, folder)
    else:
        if src.hh and not (user_agent or "").strip():
            raise UsageError(
                "hh.ru answers only a client that names itself and a contact in the HH-User-Agent header, e.g. "
                f"'talentflow-study/1.0 (you@example.org)'; give it here or in ${ENV_HH_USER_AGENT}",
                param="user_agent",
            )
        headers = _headers(src, user_agent, token)
        with locked(folder):
            files = _download(src, folder, url_base, headers, (retries, timeout, backoff), progress)
    _check_kept(src, folder, files)
    report = FetchReport(src.name, str(folder), offline, files)
    own = store is None
    store = store or Store(db)
    try:
        if src.hh:
            report.reference = _load_reference(store, folder, files)
        else:
            from talentflow.ingestion import ingest

            paths = [folder / f.name for f in src.files]
            report.ingest = ingest(paths, store=store, format=src.format or "auto", progress=progress)
    finally:
        if own:
            store.close()
    return report


def _source(name: str) -> Source:
    if name not in SOURCES:
        raise UsageError(f"unknown source {name!r}; choose one of: {', '.join(SOURCES)}", param="source")
    return SOURCES[name]


def _check_options(url_base: str | None, retries: int, timeout: float) -> None:
    if url_base is not None and not url_base.startswith(("http://", "https://")):
        raise UsageError(
            f"{url_base!r}: expected an http:// or https:// address, e.g. http://127.0.0.1:8080", param="url_base"
        )
    if retries < 0:
        raise UsageError(f"{retries}: expected 0 or more", param="retries")
    if timeout <= 0:
        raise UsageError(f"{timeout}: expected a number of seconds above 0", param="timeout")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _from_cache(src: Source, folder: Path) -> list[FileReport]:
    missing = [f.name for f in src.files if not (folder / f.name).is_file()]
    if missing:
        host = src.files[0].host
        raise InputError(
            f"offline, and the cache at {folder} lacks {len(missing)} of the {len(src.files)} files of {src.name}: "
            f"{', '.join(missing)}; run `talentflow fetch {src.name}` where {host} answers (with the same --to), "
            "or point --to at a cache that has them",
            param="cache",
        )
    manifest = Manifest(folder)
    reports = []
    for file in src.files:
        path = folder / file.name
        entry = manifest.get(file.name)
        sha = sha256_of(path)
        # A file put in the cache by hand, or changed there since: the manifest no longer speaks for it.
        known = entry if entry is not None and entry.sha256 == sha else None
        reports.append(
            FileReport(
                file.name,
                known.url if known else file.url(),
                "cache",
                "cached",
                None,
                path.stat().st_size,
                sha,
                str(path),
                known.etag if known else None,
                known.last_modified if known else None,
                known.downloaded_at if known else None,
            )
        )
    return reports


def _headers(src: Source, user_agent: str | None, token: str | None) -> dict[str, str]:
    """GitHub is told talentflow's version; hh.ru the user's HH-User-Agent and, when given, the token (which
    goes nowhere else: not to GitHub, not into the manifest or a message)."""
    if not src.hh:
        return {"User-Agent": f"talentflow/{__version__}"}
    assert user_agent
    headers = {"User-Agent": user_agent, "HH-User-Agent": user_agent}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return headers


def _download(
    src: Source,
    folder: Path,
    url_base: str | None,
    headers: dict[str, str],
    patience: tuple[int, float, float],
    progress: ProgressHook | None,
) -> list[FileReport]:
    import httpx

    retries, timeout, backoff = patience
    manifest = Manifest(folder)
    folder.mkdir(parents=True, exist_ok=True)
    reports, rejected = [], []
    limits = httpx.Timeout(timeout, connect=min(timeout, 10.0))
    with httpx.Client(timeout=limits, follow_redirects=True) as client:
        for index, file in enumerate(src.files):
            if progress is not None:
                progress("download", {"name": file.name, "index": index, "total": len(src.files)})
            on_bytes = (lambda got, total: progress("bytes", (got, total))) if progress is not None else None
            one = _one(client, file, folder, manifest, url_base, headers, retries, backoff, on_bytes)
            if isinstance(one, str):
                rejected.append(one)
            else:
                reports.append(one)
    if rejected:
        raise InputError(_refusal(src, rejected))
    return reports


def _one(
    client: httpx.Client,
    file: RemoteFile,
    folder: Path,
    manifest: Manifest,
    url_base: str | None,
    headers: dict[str, str],
    retries: int,
    backoff: float,
    on_bytes: Callable[[int, int | None], None] | None,
) -> FileReport | str:
    """One file asked for; its report, or why its new content was refused (the cached copy then stays)."""
    from talentflow.fetch._http import Request, get

    path, url = folder / file.name, file.url(url_base)
    entry = manifest.get(file.name)
    before = sha256_of(path) if path.is_file() else None
    # Validators only for the copy the manifest describes, from the same address: otherwise a 304 would vouch
    # for a file that is not what the server has.
    valid = entry if entry is not None and entry.url == url and entry.sha256 == before else None
    part = folder / f".{file.name}.part"
    request = Request(url, part, headers, valid.etag if valid else None, valid.last_modified if valid else None)
    answer = get(client, request, retries=retries, backoff=backoff, on_bytes=on_bytes)
    now = _now()
    if answer.status == 304:
        if valid is None:
            # Nothing was asked conditionally, so the answer vouches for no copy (a misbehaving mirror or proxy).
            raise InputError(f"{url}: the server answered 304 Not Modified to a request that was not conditional")
        valid.checked_at = now
        manifest.put(file.name, valid)
        return _report(file, path, valid, "not modified", False, answer.attempts)
    if (why := problem(part, file)) is not None:
        kept = folder / f"{file.name}.rejected"
        os.replace(part, kept)
        return f"{file.name} ({url}): {why}; the download is kept as {kept}"
    os.replace(part, path)
    assert answer.sha256 is not None
    entry = Entry(url, answer.sha256, answer.bytes, now, now, answer.etag, answer.last_modified)
    manifest.put(file.name, entry)
    return _report(file, path, entry, "downloaded", answer.sha256 != before, answer.attempts)


def _report(file: RemoteFile, path: Path, entry: Entry, status: str, changed: bool, attempts: int) -> FileReport:
    return FileReport(
        file.name,
        entry.url,
        "network",
        status,
        changed,
        entry.bytes,
        entry.sha256,
        str(path),
        entry.etag,
        entry.last_modified,
        entry.downloaded_at,
        attempts,
    )


def _refusal(src: Source, problems: list[str]) -> str:
    return (
        f"{src.name}: upstream changed the layout of {len(problems)} file{'s' if len(problems) > 1 else ''}, "
        "so nothing was ingested and the cached copies were kept: "
        + "; ".join(problems)
        + " (talentflow needs updating for the new layout: see docs/fetch.md)"
    )


def _check_kept(src: Source, folder: Path, files: list[FileReport]) -> None:
    """The copies taken from the cache (offline, or vouched for by a 304) still read: a cache filled by hand or
    by an older talentflow is checked like a download."""
    problems = []
    for file, report in zip(src.files, files, strict=True):
        if report.status != "downloaded" and (why := problem(folder / file.name, file)) is not None:
            problems.append(f"{file.name} ({folder / file.name}): {why}")
    if problems:
        raise InputError(
            f"{src.name}: {len(problems)} cached file(s) are not the layout talentflow reads, so nothing was "
            "ingested: " + "; ".join(problems)
        )


def _load_reference(store: Store, folder: Path, files: list[FileReport]) -> dict[str, dict[str, Any]]:
    """The area tree and the dictionaries into the store, each unless the store holds that content already."""
    from talentflow.reference.areas import flatten, load_areas
    from talentflow.reference.dictionaries import entries_of, load

    by_name = {f.name: f for f in files}
    tree = _json(folder / "areas.json")
    areas_from = by_name["areas.json"].url
    rows = set(flatten(tree))
    done: dict[str, dict[str, Any]] = {}
    if _stored_areas(store, areas_from) == rows:
        done["areas"] = {"loaded": False, "source": areas_from, "nodes": len(rows)}
    else:
        done["areas"] = {"loaded": True, **load_areas(store, tree, areas_from).to_dict()}
    dictionaries_from = by_name["dictionaries.json"].url
    kind, found = entries_of(_json(folder / "dictionaries.json"), str(folder / "dictionaries.json"))
    wanted = {(e.dictionary, e.id, e.lang, e.name, dictionaries_from) for e in found}
    if _stored_dictionaries(store, sorted({e.dictionary for e in found})) == wanted:
        counts = {d: sum(1 for e in found if e.dictionary == d) for d in sorted({e.dictionary for e in found})}
        done["dictionaries"] = {"loaded": False, "source": dictionaries_from, "kind": kind, "entries": counts}
    else:
        with store.transaction() as con:
            done["dictionaries"] = {"loaded": True, **load(con, kind, found, dictionaries_from).to_dict()}
    return done


def _json(path: Path) -> Any:
    return json.loads(path.read_bytes().decode("utf-8-sig"))


def _stored_areas(store: Store, source: str) -> set[tuple[Any, ...]]:
    query = "SELECT area_id, parent_id, name, country, region, depth FROM area WHERE source = ?"
    return set(store.con.execute(query, [source]).fetchall())


def _stored_dictionaries(store: Store, dictionaries: list[str]) -> set[tuple[Any, ...]]:
    from talentflow.model import DICTIONARY

    (exists,) = store.con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND NOT temporary", [DICTIONARY.name]
    ).fetchone()  # type: ignore[misc]
    if not exists:
        return set()
    query = f"SELECT dictionary, id, lang, name, source FROM {DICTIONARY.name} WHERE list_contains(?, dictionary)"
    return set(store.con.execute(query, [dictionaries]).fetchall())

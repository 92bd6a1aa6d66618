"""schema.org ``JobPosting`` in JSON-LD: single objects, ``@graph`` documents, arrays, or one per line.

Each posting is rewritten field by field into the shape of an hh.ru vacancy and then checked and stored by
the same SQL as hh.ru records, so both formats obey one set of rules. Salaries are made monthly:
``unitText`` YEAR ÷ 12, WEEK × 52/12, DAY × 5·52/12, HOUR × 40·52/12.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

from talentflow.model import VACANCY_OBSERVATION
from talentflow.sources import _json
from talentflow.sources._base import Context, Staged, StageResult
from talentflow.sources._scan import RAW_LIMIT, cut
from talentflow.sources._text import read_all
from talentflow.sources.hh import stage_records

_PER_MONTH = {"MONTH": 1.0, "YEAR": 1 / 12, "WEEK": 52 / 12, "DAY": 5 * 52 / 12, "HOUR": 40 * 52 / 12}
_EMPLOYMENT = {
    "FULL_TIME": "full",
    "PART_TIME": "part",
    "CONTRACTOR": "project",
    "TEMPORARY": "project",
    "INTERN": "probation",
    "VOLUNTEER": "volunteer",
}


class JsonLdAdapter:
    name = "jsonld"

    def stage(self, ctx: Context) -> StageResult:
        data = read_all(ctx.path)
        locs: list[str] = []
        texts: list[str] = []
        rejects: list[tuple[str, str, str]] = []
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            return self._stage(ctx, [], [], [(ctx.display, "", f"not valid UTF-8 text (byte {exc.start:,})")])
        for where, doc, error in _documents(text, ctx.display):
            if error is not None:
                rejects.append((where, cut(doc) or "", error))
                continue
            try:
                postings = list(_postings(doc, ""))
            except RecursionError:
                rejects.append((where, _json.escaped(doc)[:RAW_LIMIT], _json.TOO_DEEP))
                continue
            for pointer, posting in postings:
                at = f"{where}#{pointer or '/'}"
                record = to_hh(posting)
                if (dumped := _json.dump(record)) is None:
                    rejects.append((at, _json.escaped(posting), _json.SURROGATE))
                else:
                    locs.append(at)
                    texts.append(dumped)
        return self._stage(ctx, locs, texts, rejects)

    def _stage(
        self, ctx: Context, locs: list[str], texts: list[str], rejects: list[tuple[str, str, str]]
    ) -> StageResult:
        name = ctx.table("tf_jsonld")
        stage_records(ctx, name, locs, texts, default_source="jsonld")
        return StageResult([Staged(VACANCY_OBSERVATION, name)], rejects)


def _documents(text: str, display: str) -> Iterator[tuple[str, Any, str | None]]:
    """Each JSON document with where it is: the whole file, or each line of a one-per-line file."""
    try:
        yield display, _json.load(text), None
        return
    except (ValueError, RecursionError) as whole:
        lines = text.splitlines()
        if len(lines) < 2 or not lines[0].strip().startswith("{"):
            yield _json.location(whole, display), text, _json.error(whole, text)
            return
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            yield f"{display}:{n}", _json.load(line), None
        except (ValueError, RecursionError) as exc:
            yield f"{display}:{n}", line, _json.error(exc, line)


def _is_posting(obj: dict[str, Any]) -> bool:
    kind = obj.get("@type")
    return kind == "JobPosting" or (isinstance(kind, list) and "JobPosting" in kind)


def _postings(doc: Any, pointer: str) -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(doc, list):
        for i, item in enumerate(doc):
            yield from _postings(item, f"{pointer}/{i}")
    elif isinstance(doc, dict):
        if _is_posting(doc):
            yield pointer, doc
        elif isinstance(doc.get("@graph"), list):
            yield from _postings(doc["@graph"], f"{pointer}/@graph")


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def _text(value: Any) -> str | None:
    value = _first(value)
    if isinstance(value, dict):
        value = value.get("value") or value.get("name") or value.get("@id")
    return None if value is None else str(value)


def to_hh(p: dict[str, Any]) -> dict[str, Any]:
    """A JobPosting as an hh.ru-shaped vacancy (plus ``country`` and ``source`` where known)."""
    org = _first(p.get("hiringOrganization")) or {}
    org = org if isinstance(org, dict) else {"name": str(org)}
    place = _first(p.get("jobLocation")) or {}
    address = (place.get("address") if isinstance(place, dict) else None) or {}
    if isinstance(address, str):
        address = {"addressLocality": address}
    elif not isinstance(address, dict):
        address = {}
    country = _text(address.get("addressCountry"))
    locality = _text(address.get("addressLocality")) or _text(address.get("addressRegion"))
    remote = str(_first(p.get("jobLocationType")) or "").upper() == "TELECOMMUTE"
    url = _text(p.get("url"))
    out: dict[str, Any] = {
        "id": _text(p.get("identifier")) or url,
        "name": _text(p.get("title")),
        "published_at": _text(p.get("datePosted")),
        "expires_at": _text(p.get("validThrough")),
        "employer": {
            "id": _text(org.get("identifier")) or _text(org.get("sameAs")) or _text(org.get("name")),
            "name": _text(org.get("name")),
        },
        "area": {"id": None, "name": locality} if locality else None,
        "country": country.upper() if country and len(country) == 2 else None,
        "schedule": {"id": "remote"} if remote else None,
        "employment": {"id": _EMPLOYMENT.get(str(_first(p.get("employmentType")) or "").upper())},
        "source": _host(url),
    }
    salary = _salary(p.get("baseSalary"))
    if salary is not None:
        out["salary"] = salary
    return out


def _host(url: str | None) -> str | None:
    try:
        return urlparse(url).hostname if url else None
    except ValueError:  # e.g. an unbalanced [ in the host: the posting keeps no source host
        return None


def _salary(base: Any) -> dict[str, Any] | None:
    base = _first(base)
    if not isinstance(base, dict):
        return None if base is None else {"from": base, "to": base, "currency": None}
    value = base.get("value")
    unit = "MONTH"
    low = high = value
    if isinstance(value, dict):
        unit = str(value.get("unitText") or "MONTH").upper()
        low = value.get("minValue", value.get("value"))
        high = value.get("maxValue", value.get("value"))
    factor = _PER_MONTH.get(unit)

    def monthly(x: Any) -> Any:
        if factor is None or not isinstance(x, (int, float)) or isinstance(x, bool):
            return x  # left as given: the SQL checks name what is wrong with it
        return round(x * factor, 2)

    return {"from": monthly(low), "to": monthly(high), "currency": base.get("currency")}

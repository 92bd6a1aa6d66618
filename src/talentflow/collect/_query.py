"""The search a collection runs: text, professional roles, areas and other hh.ru search parameters, checked
before any request is sent.

hh.ru ignores a search parameter it does not know, silently (SCHEMA.md section 6): a misspelt ``shedule=remote``
would collect every vacancy instead of the remote ones. So talentflow accepts only the parameters hh.ru
documents, checks the values of those it has dictionaries for (schedule, experience, employment, work format,
professional roles, areas), and keeps to itself the ones the collector sets (paging, dates, order).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb

from talentflow.errors import UsageError
from talentflow.reference.roles import IT_ROLES_CURRENT

#: Vacancy-search parameters passed through as given (hh.ru's documented ones, less those below).
PASSED = frozenset(
    {
        "search_field",
        "experience",
        "employment",
        "schedule",
        "work_format",
        "working_hours",
        "work_schedule_by_days",
        "part_time",
        "salary",
        "currency",
        "only_with_salary",
        "label",
        "employer_id",
        "industry",
        "metro",
        "education",
        "excluded_text",
        "accept_temporary",
        "no_magic",
        "premium",
        "host",
        "responses_count_enabled",
    }
)
#: Parameters with options of their own.
OWN = {"text": "--text", "area": "--area", "professional_role": "--role (or --it)"}
#: Parameters the collector sets itself: paging, publication windows and their order.
RESERVED = frozenset({"page", "per_page", "date_from", "date_to", "period", "order_by", "clusters"})
#: Parameters whose values hh.ru's dictionaries list (`talentflow.reference.dictionaries`).
DICTIONARY_OF = {
    "schedule": "schedule",
    "experience": "experience",
    "employment": "employment",
    "work_format": "work_format",
}
_BOOLEAN = frozenset({"only_with_salary", "accept_temporary", "no_magic", "premium", "responses_count_enabled"})
_DIGITS = re.compile(r"^\d+$")


@dataclass(frozen=True)
class Query:
    """A vacancy search. ``params`` are further hh.ru search parameters as (name, value) pairs, in order."""

    text: str | None = None
    roles: tuple[str, ...] = ()
    areas: tuple[str, ...] = ()
    params: tuple[tuple[str, str], ...] = ()

    @classmethod
    def build(
        cls,
        text: str | None = None,
        roles: Iterable[str] = (),
        areas: Iterable[str] = (),
        it: bool = False,
        params: Iterable[str] | Iterable[tuple[str, str]] = (),
    ) -> Query:
        """A query from the command line's pieces; ``params`` as ``KEY=VALUE`` texts or pairs. Unchecked against
        the dictionaries: see `check`."""
        role_ids = [r.strip() for r in roles if r.strip()]
        if it:
            role_ids += sorted(IT_ROLES_CURRENT, key=int)
        pairs = [_pair(p) for p in params]
        for name, _ in pairs:
            _check_name(name)
        text = text.strip() if text and text.strip() else None
        return cls(
            text,
            tuple(dict.fromkeys(role_ids)),
            tuple(dict.fromkeys(a.strip() for a in areas if a.strip())),
            tuple(pairs),
        )

    def check(self, con: duckdb.DuckDBPyConnection) -> None:
        """Every role, area and dictionary value known; a usage error naming the first that is not."""
        from talentflow.reference.dictionaries import entries, known_ids

        known = known_ids(entries(con))
        bad = [r for r in self.roles if not _DIGITS.match(r) or r not in known.get("professional_role", set())]
        if bad:
            raise UsageError(
                f"unknown professional role {', '.join(bad)} (hh.ru's /professional_roles ids, e.g. 96 for "
                "programmers; `talentflow reference dictionaries` loads the current list)",
                param="roles",
            )
        stored = {r[0] for r in con.execute("SELECT area_id FROM area").fetchall()}
        unknown = [a for a in self.areas if a not in stored]
        if unknown:
            raise UsageError(
                f"area {', '.join(unknown)} is not in the store's area tree: load hh.ru's tree with `talentflow "
                "reference areas FILE` (or --live), or give an area id it holds (113 Russia, 1 Moscow, …)",
                param="areas",
            )
        for name, value in self.params:
            _check_value(name, value, known)

    def search(self) -> list[tuple[str, str]]:
        """The query as hh.ru search parameters."""
        out = [("text", self.text)] if self.text else []
        out += [("professional_role", r) for r in self.roles] + [("area", a) for a in self.areas]
        return out + list(self.params)

    def to_json(self) -> str:
        return json.dumps(
            {
                "text": self.text,
                "roles": list(self.roles),
                "areas": list(self.areas),
                "params": [list(p) for p in self.params],
            },
            ensure_ascii=False,
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> Query:
        d: dict[str, Any] = json.loads(text)
        return cls(d.get("text"), tuple(d["roles"]), tuple(d["areas"]), tuple((k, v) for k, v in d["params"]))

    def describe(self) -> str:
        parts = [f"text={self.text!r}"] if self.text else []
        if self.roles:
            parts.append("roles " + ",".join(self.roles))
        if self.areas:
            parts.append("areas " + ",".join(self.areas))
        parts += [f"{k}={v}" for k, v in self.params]
        return "; ".join(parts) or "every vacancy"


def _pair(item: str | Sequence[str]) -> tuple[str, str]:
    if not isinstance(item, str):
        name, value = item
        return str(name).strip(), str(value).strip()
    name, sep, value = item.partition("=")
    if not sep or not name.strip() or not value.strip():
        raise UsageError(f"{item!r}: expected KEY=VALUE, e.g. --param schedule=remote", param="params")
    return name.strip(), value.strip()


def _check_name(name: str) -> None:
    if name in OWN:
        raise UsageError(f"{name}: give it with {OWN[name]}", param="params")
    if name in RESERVED:
        raise UsageError(f"{name}: the collector sets it (paging, publication windows, order)", param="params")
    if name not in PASSED:
        raise UsageError(
            f"{name}: not an hh.ru vacancy-search parameter talentflow knows (hh.ru ignores unknown ones silently, "
            f"so the search would not be narrowed); known: {', '.join(sorted(PASSED))}",
            param="params",
        )


def _check_value(name: str, value: str, known: dict[str, set[str]]) -> None:
    dictionary = DICTIONARY_OF.get(name)
    if dictionary is not None and known.get(dictionary) and value not in known[dictionary]:
        ids = ", ".join(sorted(known[dictionary]))
        raise UsageError(f"{name}={value}: not an id of hh.ru's {dictionary} dictionary ({ids})", param="params")
    if name in _BOOLEAN and value not in ("true", "false"):
        raise UsageError(f"{name}={value}: expected true or false", param="params")
    if name in ("salary", "employer_id") and not _DIGITS.match(value):
        raise UsageError(f"{name}={value}: expected a whole number", param="params")

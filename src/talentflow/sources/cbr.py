"""The Bank of Russia's official exchange rates, as its XML service publishes them (``XML_daily.asp``).

One document is the rates set for one day::

    <?xml version="1.0" encoding="windows-1251"?>
    <ValCurs Date="01.03.2022" name="Foreign Currency Market">
      <Valute ID="R01235"><NumCode>840</NumCode><CharCode>USD</CharCode><Nominal>1</Nominal>
        <Name>Доллар США</Name><Value>95,9618</Value></Valute>
      …

``Value`` is the price in roubles of ``Nominal`` units (a decimal comma; 100 for AMD or KZT, 10,000 for UZS).
Each ``Valute`` becomes one ``series`` row: source ``cbr``, geography ``RU``, metric ``official_rate``, segment the
currency's ISO code, date the ``ValCurs`` date, value roubles per unit (``Value ÷ Nominal``). The salary
indicator converts with them (docs/indicators.md, "Conversion table").

XML from the network is read with a document type refused: the service sends none, and a DTD is how entity
expansion attacks arrive.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.parsers import expat

import pyarrow as pa

from talentflow._sql import literal
from talentflow.model import SERIES
from talentflow.sources import _checks as ck
from talentflow.sources._base import Context, Staged, StageResult
from talentflow.sources._checks import Expr
from talentflow.sources._scan import cut
from talentflow.sources._text import read_all

SOURCE = "cbr"
METRIC = "official_rate"
#: The fields of a ``Valute`` talentflow reads (NumCode, Name and VunitRate are not needed).
_FIELDS = ("CharCode", "Nominal", "Value")
_SCHEMA = pa.schema([(n, pa.string()) for n in ("day", "code", "nominal", "value", "loc", "raw")])


def matches(data: bytes) -> bool:
    """The start of a file is a ``ValCurs`` document."""
    return b"<ValCurs" in data[:4096]


class NoDoctype(ValueError):
    pass


@dataclass
class _Reader:
    """Collects the ``Valute`` elements of a document with the line each starts on."""

    display: str
    parser: expat.XMLParserType
    day: str | None = None
    rows: list[dict[str, str | None]] = field(default_factory=list)
    _valute: dict[str, str | None] | None = None
    _field: str | None = None
    _text: list[str] = field(default_factory=list)

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if name == "ValCurs":
            self.day = attrs.get("Date")
        elif name == "Valute":
            self._valute = {"loc": f"{self.display}:{self.parser.CurrentLineNumber}", "id": attrs.get("ID")}
        elif self._valute is not None and name in _FIELDS:
            self._field, self._text = name, []

    def text(self, data: str) -> None:
        if self._field is not None:
            self._text.append(data)

    def end(self, name: str) -> None:
        if self._valute is None:
            return
        if name == self._field:
            self._valute[name] = "".join(self._text).strip()
            self._field = None
        elif name == "Valute":
            self.rows.append(self._valute)
            self._valute = None


def _doctype(*_: object) -> None:
    raise NoDoctype("a document type declaration (DOCTYPE), which the Bank of Russia's service never sends")


def read(data: bytes, display: str) -> tuple[_Reader, tuple[str, str] | None]:
    """The document's rates, and where and why the reading stopped (None when the whole document read)."""
    parser = expat.ParserCreate()
    reader = _Reader(display, parser)
    parser.StartElementHandler = reader.start
    parser.EndElementHandler = reader.end
    parser.CharacterDataHandler = reader.text
    parser.StartDoctypeDeclHandler = _doctype
    try:
        parser.Parse(data, True)
    except NoDoctype as exc:
        return reader, (display, str(exc))
    except expat.ExpatError as exc:
        return reader, (
            f"{display}:{exc.lineno}:{exc.offset + 1}",
            f"not well-formed XML: {expat.ErrorString(exc.code)}",
        )
    return reader, None


def _raw(day: str | None, row: dict[str, str | None]) -> str:
    parts = "".join(f"<{k}>{row.get(k) or ''}</{k}>" for k in _FIELDS)
    return f'<ValCurs Date="{day or ""}"><Valute ID="{row.get("id") or ""}">{parts}</Valute></ValCurs>'


def _checks(now_sql: str) -> list[ck.Check]:
    day = "try_strptime(day, '%d.%m.%Y')::DATE"
    value = "try_cast(replace(trim(value), ',', '.') AS DOUBLE)"
    nominal = "try_cast(trim(nominal) AS BIGINT)"
    return [
        ck.required("day", "Date (of ValCurs)"),
        (f"{day} IS NULL", ck.msg("Date: expected DD.MM.YYYY, got ", Expr("tf_quote(day)"))),
        (f"{day} < DATE '1992-07-01'", ck.msg("Date ", Expr("day"), " is before the Bank's first official rate")),
        (f"{day} > {now_sql}::DATE", ck.msg("Date ", Expr("day"), " is in the future")),
        ck.required("code", "CharCode"),
        (
            "NOT regexp_full_match(code, '[A-Z]{3}')",
            ck.msg("CharCode: expected a three-letter currency code, got ", Expr("tf_quote(code)")),
        ),
        ck.required("nominal", "Nominal"),
        (
            f"{nominal} IS NULL OR {nominal} <= 0",
            ck.msg("Nominal: expected a whole number of units above 0, got ", Expr("tf_quote(nominal)")),
        ),
        ck.required("value", "Value"),
        (
            f"{value} IS NULL OR {value} <= 0 OR isinf({value})",
            ck.msg("Value: expected a price in roubles above 0 such as 95,9618, got ", Expr("tf_quote(value)")),
        ),
    ]


class CbrAdapter:
    name = "cbr-xml"

    def stage(self, ctx: Context) -> StageResult:
        reader, problem = read(read_all(ctx.path), ctx.display)
        rows = [{**r, "day": reader.day, "raw": cut(_raw(reader.day, r))} for r in reader.rows]
        rejects = [] if problem is None else [(problem[0], "", problem[1])]
        table = pa.Table.from_pylist(
            [{"code": r.get("CharCode"), "nominal": r.get("Nominal"), "value": r.get("Value"), **r} for r in rows],
            schema=_SCHEMA,
        )
        name = ctx.table("tf_cbr")
        value = "try_cast(replace(trim(value), ',', '.') AS DOUBLE) / try_cast(trim(nominal) AS BIGINT)"
        select = {
            "source": literal(SOURCE),
            "geography": "'RU'",
            "metric": literal(METRIC),
            "segment": "code",
            "date": "try_strptime(day, '%d.%m.%Y')::DATE",
            "value": value,
        }
        outputs = ",\n".join(f"CAST({select.get(c.name, 'NULL')} AS {c.type}) AS {c.name}" for c in SERIES.columns[:-1])
        ctx.con.register("tf_cbr_rows", table)
        try:
            ctx.con.execute(
                f"""
                CREATE OR REPLACE TEMP TABLE {name} AS
                WITH checked AS (SELECT *, {ck.reason(_checks(ck.latest(ctx.now)))} AS _reason FROM tf_cbr_rows)
                SELECT {outputs}, _reason, CASE WHEN _reason IS NOT NULL THEN raw END AS _raw, loc AS _loc,
                       NULL::UBIGINT AS _ref, '' AS _ptr
                FROM checked
                """
            )
        finally:
            ctx.con.unregister("tf_cbr_rows")
        return StageResult([Staged(SERIES, name)], rejects)

"""JSON documents read in Python (hh.ru pages and arrays, JSON-LD): parsed, written back, and their failures named.

Numbers that are not finite (``NaN``, ``Infinity``, ``1e309``) are kept as their text, so that the checks in SQL
name them as values that are not numbers instead of storing them. A document nested too deep for Python's parser,
or holding a number too long to convert, is one unreadable record with its reason, not a crash.
"""

from __future__ import annotations

import json
import math
from typing import Any

#: Reason for a document Python's parser cannot descend into (it stops near its recursion limit, ~1,000 levels).
TOO_DEEP = "JSON nested too deep to read (over about 1,000 levels of arrays and objects)"
SURROGATE = "a lone UTF-16 surrogate escape (such as \\ud800), which is not a character"


def _number(text: str) -> float | str:
    value = float(text)
    return value if math.isfinite(value) else text


def load(text: str) -> Any:
    """Parse JSON; raises ValueError (JSONDecodeError among them) or RecursionError."""
    return json.loads(text, parse_float=_number, parse_constant=str)


def dump(value: Any) -> str | None:
    """A record as JSON text for DuckDB; None when it holds a lone surrogate, which UTF-8 cannot carry."""
    text = json.dumps(value, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return text


def escaped(value: Any) -> str:
    """A record as ASCII JSON text, whatever it holds: for the quarantine's ``raw``."""
    return json.dumps(value, ensure_ascii=True)


def error(exc: BaseException, text: str) -> str:
    """The reason a document does not parse, telling a cut-off file from a malformed one."""
    if isinstance(exc, RecursionError):
        return TOO_DEEP
    if isinstance(exc, json.JSONDecodeError):
        ends_early = exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string")
        why = "truncated JSON (the document ends early)" if ends_early else "not valid JSON"
        return f"{why}: {exc.msg} (line {exc.lineno}, column {exc.colno})"
    return f"not valid JSON: {exc}"


def location(exc: BaseException, display: str) -> str:
    return f"{display}:{exc.lineno}" if isinstance(exc, json.JSONDecodeError) else display

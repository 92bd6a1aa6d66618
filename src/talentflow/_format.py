"""Numbers as people read them, one way everywhere (tables, notes, the report)."""

from __future__ import annotations

import math
from numbers import Real


def number(value: object, digits: int = 4, missing: str = "") -> str:
    """Thousands separated and no decimals from 1,000 up; ``digits`` significant digits below; ``missing`` for
    None and NaN."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return missing
    if isinstance(value, Real) and not isinstance(value, bool):
        x = float(value)
        return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.{digits}g}"
    return str(value)

"""Package attributes imported on first use (PEP 562), so that importing a package stays cheap.

The command line imports the packages for their option defaults and names; pandas, Ibis and the rest load
only when a command computes something (`talentflow --help` answers in a fraction of a second).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import Any


def exports(
    package: str, modules: Sequence[str], names: Sequence[str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``: each of ``names`` comes from the first of ``modules``
    (lightest first) that defines it, imported when the name is first asked for."""
    known = set(names)

    def __getattr__(name: str) -> Any:
        if name in known:
            for module in modules:
                found = importlib.import_module(module)
                if hasattr(found, name):
                    return getattr(found, name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted(known)

    return __getattr__, __dir__

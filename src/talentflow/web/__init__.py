"""``talentflow serve``: a read-only JSON API over the store, and a dashboard (see docs/web.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from talentflow._lazy import exports

if TYPE_CHECKING:
    from talentflow.web.app import create_app

__all__ = ["create_app"]

__getattr__, __dir__ = exports(__name__, ("talentflow.web.app",), __all__)

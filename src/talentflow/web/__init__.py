"""``talentflow serve``: a read-only JSON API over the store, and a dashboard (see docs/web.md)."""

from talentflow.web.app import create_app

__all__ = ["create_app"]

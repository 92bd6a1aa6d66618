"""The hh.ru collector: every vacancy a search matches, past the API's 2,000-result cap, run after run.

    >>> from talentflow.collect import Query
    >>> Query.build(text="python", roles=["96"], areas=["1"]).describe()
    "text='python'; roles 96; areas 1"

`collect_hh` counts the search, splits it into slices of at most 2,000 results (publication windows, then
areas, then roles), pages through them with a polite client, checkpoints every answer in the store, and stores
what it saw as ``observed`` sightings through the hh.ru adapter. docs/collect.md has the whole story.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from talentflow._lazy import exports

if TYPE_CHECKING:
    from talentflow.collect._api import DEFAULT_API_URL, CollectReport, collect_hh, report
    from talentflow.collect._auth import Credentials
    from talentflow.collect._http import Politeness
    from talentflow.collect._query import Query

__all__ = ["DEFAULT_API_URL", "CollectReport", "Credentials", "Politeness", "Query", "collect_hh", "report"]

__getattr__, __dir__ = exports(
    __name__,
    ["talentflow.collect._query", "talentflow.collect._http", "talentflow.collect._auth", "talentflow.collect._api"],
    __all__,
)

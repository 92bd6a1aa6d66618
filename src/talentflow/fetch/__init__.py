"""Downloads of the public sources talentflow reads (``talentflow fetch``): the GitHub Innovation Graph, the Indeed
Hiring Lab job postings index and AI Tracker, and hh.ru's area tree and dictionaries.

Each file is fetched with a conditional GET into a local cache (a manifest records its URL, ETag, Last-Modified,
SHA-256 and times), checked against the layout talentflow reads, then ingested. docs/fetch.md has the sources,
their URLs and licences.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from talentflow._lazy import exports

if TYPE_CHECKING:
    from talentflow.fetch._cache import default_cache
    from talentflow.fetch._run import FetchReport, FileReport, fetch
    from talentflow.fetch.sources import SOURCES, RemoteFile, Source

__all__ = ["SOURCES", "FetchReport", "FileReport", "RemoteFile", "Source", "default_cache", "fetch"]

__getattr__, __dir__ = exports(
    __name__, ("talentflow.fetch.sources", "talentflow.fetch._cache", "talentflow.fetch._run"), __all__
)

"""One file over HTTP: a conditional GET, retried with backoff on 5xx, 429, timeouts and cut connections, the
body streamed into a partial file that only the caller renames into place."""

from __future__ import annotations

import contextlib
import hashlib
import html
import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from talentflow.errors import InputError
from talentflow.fetch.sources import ENV_HH_TOKEN

#: Statuses worth asking again: the server's own trouble, or its asking us to slow down.
RETRIED = frozenset({429, 500, 502, 503, 504})
#: The longest Retry-After honoured; a server asking for more is reported instead of waited for.
MAX_RETRY_AFTER = 60.0


@dataclass
class Answer:
    """What a GET came to: 304 (the cached copy stands) or 200 (the body is in the partial file)."""

    status: int
    attempts: int
    etag: str | None = None
    last_modified: str | None = None
    sha256: str | None = None
    bytes: int = 0


@dataclass
class Request:
    url: str
    part: Path
    headers: dict[str, str]
    etag: str | None = None
    last_modified: str | None = None


def get(
    client: httpx.Client,
    request: Request,
    *,
    retries: int,
    backoff: float,
    on_bytes: Callable[[int, int | None], None] | None = None,
) -> Answer:
    """GET ``request.url``; on 200 the body is in ``request.part`` (complete: a body shorter than its
    Content-Length fails and is asked for again). Raises InputError when the server refuses or keeps failing."""
    headers = dict(request.headers)
    if request.etag:
        headers["If-None-Match"] = request.etag
    if request.last_modified:
        headers["If-Modified-Since"] = request.last_modified
    problem, wait = "", None
    for attempt in range(1, retries + 2):
        if attempt > 1:
            time.sleep(wait if wait is not None else backoff * 2 ** (attempt - 2))
        wait = None
        try:
            with client.stream("GET", request.url, headers=headers) as response:
                if response.status_code == 304:
                    return Answer(304, attempt, request.etag, request.last_modified)
                if response.status_code == 200:
                    return _save(response, request.part, attempt, on_bytes)
                response.read()
                problem = f"the server answered {response.status_code} {response.reason_phrase}{_body(response)}"
                if response.status_code not in RETRIED:
                    raise InputError(f"{request.url}: {problem}{_hint(response)}")
                wait = _retry_after(response)
        except httpx.TimeoutException:
            problem = "no answer within the time allowed"
        except httpx.TransportError as exc:
            problem = f"the connection failed ({exc or type(exc).__name__})"
        request.part.unlink(missing_ok=True)
        if wait is not None and wait > MAX_RETRY_AFTER:
            problem += f", and asks to wait {wait:.0f} s"
            break
    raise InputError(
        f"{request.url}: {problem} ({_times(attempt)}); the cached copy, if any, was kept: try again later, "
        "or use --offline"
    )


def _save(
    response: httpx.Response, part: Path, attempt: int, on_bytes: Callable[[int, int | None], None] | None
) -> Answer:
    digest = hashlib.sha256()
    size = 0
    length = response.headers.get("Content-Length")
    total = int(length) if length and length.isdigit() and "Content-Encoding" not in response.headers else None
    part.parent.mkdir(parents=True, exist_ok=True)
    with part.open("wb") as f:
        for chunk in response.iter_bytes():
            f.write(chunk)
            digest.update(chunk)
            size += len(chunk)
            if on_bytes is not None:
                on_bytes(size, total)
        f.flush()
        os.fsync(f.fileno())
    return Answer(
        200,
        attempt,
        response.headers.get("ETag"),
        response.headers.get("Last-Modified"),
        digest.hexdigest(),
        size,
    )


def _retry_after(response: httpx.Response) -> float | None:
    """The seconds a 429 or 503 asks to wait (Retry-After in seconds; its date form is rare and ignored)."""
    value = response.headers.get("Retry-After", "").strip()
    return float(value) if value.isdigit() else None


def _times(attempts: int) -> str:
    return "1 attempt" if attempts == 1 else f"{attempts} attempts"


def _body(response: httpx.Response) -> str:
    """A few words on what an error answer held: hh.ru's error types, an HTML page's title, or its first words."""
    kind = response.headers.get("Content-Type", "")
    text = response.text if response.content else ""
    if not text.strip():
        return ""
    if "json" in kind or text.lstrip().startswith("{"):
        with contextlib.suppress(ValueError):
            errors = json.loads(text).get("errors")
            if isinstance(errors, list) and errors:
                found = [f"{e.get('type')}/{e.get('value')}" if e.get("value") else str(e.get("type")) for e in errors]
                return f" ({', '.join(found)})"
    if "html" in kind or text.lstrip()[:1] == "<":
        title = re.search(r"<title[^>]*>(.*?)</title>", text, re.S | re.I)
        words = title.group(1) if title else re.sub(r"<[^>]+>", " ", text)
        return f" (an HTML page: {_cut(html.unescape(words))})"
    return f" ({_cut(text)})"


def _cut(text: str, size: int = 100) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= size else flat[: size - 1] + "…"


def _hint(response: httpx.Response) -> str:
    """What to do about a refusal that asking again would not change."""
    if response.status_code == 404:
        return "; the file may have moved upstream (the canonical URLs are in docs/fetch.md), or --url-base is wrong"
    if response.status_code == 400 and "bad_user_agent" in response.text:
        return (
            "; hh.ru wants an HH-User-Agent naming the application and a contact, e.g. "
            "'talentflow/0.1 (you@example.org)'"
        )
    if response.status_code == 403 and '"oauth"' in response.text:
        return f"; the token in ${ENV_HH_TOKEN} is bad, expired or revoked: ask for a new one (docs/fetch.md)"
    if response.status_code == 403:
        return (
            f"; the server refuses this address or client (hh.ru refuses some data centres without an application "
            f"token: set ${ENV_HH_TOKEN}), or fetch where it answers, copy the cache here, and use --offline"
        )
    if response.status_code == 451:
        return (
            "; the server refuses this country (hh.ru blocks some): fetch where it answers, copy the cache here, "
            "and use --offline"
        )
    return ""

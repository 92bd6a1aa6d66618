"""Who talentflow says it is to hh.ru, and the application token it sends.

hh.ru wants every caller to name itself in ``HH-User-Agent`` (``Name/Version (contact)``) and, since December
2025, answers most anonymous searches with 403: an application token (OAuth 2 ``client_credentials``) is what
works. The token comes from ``TALENTFLOW_HH_TOKEN`` as given, or is obtained with the application's client id
and secret and cached in a file only its owner can read. hh.ru's application tokens do not expire; asking for a
new one revokes the old, and asking within five minutes of the last is refused ("app token refresh too early"),
so a cached token is renewed only after hh.ru rejects it, and never sooner than that.

The token is held in a `Secret`, whose ``repr`` and ``str`` are masked: it cannot reach a message, a log line
or the store by being formatted.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from talentflow.errors import AccessError, UsageError

ENV_USER_AGENT = "TALENTFLOW_HH_USER_AGENT"
ENV_TOKEN = "TALENTFLOW_HH_TOKEN"
ENV_CLIENT_ID = "TALENTFLOW_HH_CLIENT_ID"
ENV_CLIENT_SECRET = "TALENTFLOW_HH_CLIENT_SECRET"
ENV_TOKEN_URL = "TALENTFLOW_HH_TOKEN_URL"
ENV_TOKEN_CACHE = "TALENTFLOW_HH_TOKEN_CACHE"

#: hh.ru refuses a new application token within this many seconds of the previous one.
REFRESH_INTERVAL = 300.0

# Name/Version (contact): what hh.ru's documentation asks for, e.g. "MyStudy/1.0 (me@example.org)".
_USER_AGENT = re.compile(r"^[^\s/()]+/[^\s/()]+ \([^()]*\S[^()]*\)$")

#: POST answer: (status, parsed JSON body or None).
Post = Callable[[str, dict[str, str]], tuple[int, Any]]


class Secret:
    """A string that never shows itself when formatted."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__


def check_user_agent(value: str | None) -> str:
    """The HH-User-Agent to send; a usage error (exit 2) when it is missing or not ``Name/Version (contact)``."""
    if not value or not value.strip():
        raise UsageError(
            "hh.ru requires an HH-User-Agent naming your application and a contact, e.g. "
            f"'MyStudy/1.0 (me@example.org)': give --user-agent or set {ENV_USER_AGENT}",
            param="user_agent",
        )
    value = value.strip()
    if not _USER_AGENT.match(value):
        raise UsageError(
            f"{value!r}: expected Name/Version (contact), e.g. 'MyStudy/1.0 (me@example.org)' "
            "(hh.ru blacklists agents it cannot tell apart)",
            param="user_agent",
        )
    return value


def default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "talentflow" / "hh-token.json"


@dataclass
class Credentials:
    """The application token and where it came from: given (``TALENTFLOW_HH_TOKEN``) or obtained with the
    client id and secret at ``token_url`` and cached in ``cache``."""

    token: Secret | None = None
    client_id: str | None = None
    client_secret: Secret | None = None
    token_url: str | None = None
    cache: Path | None = None
    #: When a cached token was obtained (epoch seconds); None for a given one.
    obtained_at: float | None = None

    @classmethod
    def from_env(cls, api_url: str, environ: Mapping[str, str] | None = None) -> Credentials | None:
        """The credentials the environment gives; None when it gives none (anonymous requests)."""
        env = os.environ if environ is None else environ
        if env.get(ENV_TOKEN):
            return cls(token=Secret(env[ENV_TOKEN].strip()))
        client_id, secret = env.get(ENV_CLIENT_ID), env.get(ENV_CLIENT_SECRET)
        if not client_id and not secret:
            return None
        if not client_id or not secret:
            missing = ENV_CLIENT_SECRET if client_id else ENV_CLIENT_ID
            raise UsageError(
                f"an application token needs both {ENV_CLIENT_ID} and {ENV_CLIENT_SECRET}: {missing} is unset"
            )
        token_url = env.get(ENV_TOKEN_URL) or api_url.rstrip("/") + "/token"
        cache = Path(env[ENV_TOKEN_CACHE]) if env.get(ENV_TOKEN_CACHE) else default_cache()
        return cls(client_id=client_id.strip(), client_secret=Secret(secret.strip()), token_url=token_url, cache=cache)

    @property
    def given(self) -> bool:
        return self.client_id is None

    def current(self, post: Post, now: float | None = None) -> Secret:
        """The token to send: the given one, the cached one, or a new one (then cached)."""
        if self.token is not None:
            return self.token
        cached = self._read_cache()
        if cached is not None:
            self.token, self.obtained_at = Secret(cached["access_token"]), float(cached["obtained_at"])
            return self.token
        return self._obtain(post, time.time() if now is None else now, previous=None)

    def renew(self, post: Post, reason: str, now: float | None = None) -> Secret:
        """A new token after hh.ru rejected the current one (``reason``, e.g. ``token_revoked``).

        A given token cannot be renewed here; an obtained one only once five minutes have passed since it was
        obtained, which is all hh.ru allows."""
        if self.given:
            raise AccessError(
                f"hh.ru rejected the application token (oauth: {reason}): the token in {ENV_TOKEN} is bad, "
                f"expired or revoked; ask for a new one at dev.hh.ru (or set {ENV_CLIENT_ID} and {ENV_CLIENT_SECRET} "
                "and unset it), then `talentflow collect hh --resume`",
                kind="oauth",
            )
        when = time.time() if now is None else now
        return self._obtain(post, when, previous=self.obtained_at, reason=reason)

    def _obtain(self, post: Post, now: float, previous: float | None, reason: str | None = None) -> Secret:
        assert self.client_id is not None and self.client_secret is not None and self.token_url is not None
        if previous is not None and now - previous < REFRESH_INTERVAL:
            wait = int(REFRESH_INTERVAL - (now - previous)) + 1
            raise AccessError(
                f"hh.ru rejected the application token (oauth: {reason}), obtained {int(now - previous)} s ago; "
                f"hh.ru allows a new one only every 5 minutes: try `talentflow collect hh --resume` in {wait} s",
                kind="oauth",
            )
        form = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self.client_secret.reveal(),
        }
        status, body = post(self.token_url, form)
        token = body.get("access_token") if isinstance(body, dict) else None
        if status != 200 or not isinstance(token, str) or not token:
            raise AccessError(_refusal(status, body, self.token_url), kind="oauth")
        self.token, self.obtained_at = Secret(token), now
        self._write_cache(token, now)
        return self.token

    # -- the cache: one JSON object per (token URL, client id), readable by its owner only ----------------------
    def _key(self) -> str:
        return f"{self.token_url} {self.client_id}"

    def _read_all(self) -> dict[str, Any]:
        if self.cache is None or not self.cache.is_file():
            return {}
        try:
            data = json.loads(self.cache.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}  # an unreadable cache is as good as none: a new token is obtained and written over it
        return data if isinstance(data, dict) else {}

    def _read_cache(self) -> dict[str, Any] | None:
        entry = self._read_all().get(self._key())
        if isinstance(entry, dict) and isinstance(entry.get("access_token"), str) and "obtained_at" in entry:
            return entry
        return None

    def _write_cache(self, token: str, now: float) -> None:
        assert self.cache is not None
        data = self._read_all()
        data[self._key()] = {"access_token": token, "obtained_at": now}
        self.cache.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self.cache.with_name(self.cache.name + ".tmp")
        # Created 0600 from the start (never readable by others, not even for a moment), then moved into place.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.cache)


def _refusal(status: int, body: Any, url: str) -> str:
    """Why the token endpoint gave no token, in words (the secret is not among them)."""
    what = ""
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            what = ": ".join(str(errors[0].get(k)) for k in ("type", "value") if errors[0].get(k))
        what = what or str(body.get("error_description") or body.get("error") or body.get("description") or "")
    if status == 403 and "early" in what:
        return (
            f"hh.ru refused a new application token ({what}): it allows one every 5 minutes, and a new one "
            "revokes the old; try again later"
        )
    return (
        f"{url} gave no application token (HTTP {status}{': ' + what if what else ''}): check "
        f"{ENV_CLIENT_ID} and {ENV_CLIENT_SECRET} (the application's page at dev.hh.ru shows them)"
    )

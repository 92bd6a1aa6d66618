"""A polite HTTP client for hh.ru's API: a token bucket, retries with backoff and jitter, a circuit breaker,
and every failure told apart.

What may pass (429, 5xx, timeouts, dropped connections) is retried: the wait doubles from ``backoff`` with full
jitter (a random share of it, so that many clients do not retry in step), and is never shorter than the
``Retry-After`` hh.ru sends. What a person must fix (a captcha, a rejected token, a blocked address, a
geographic block, a rejected User-Agent) stops at once with its own message: retrying those only deepens a
block. The breaker watches the last ``breaker_window`` attempts: when more than half failed, it pauses
``breaker_cooldown`` seconds, then lets one trial through; if that fails too, the run stops (and can be resumed).
"""

from __future__ import annotations

import collections
import email.utils
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from talentflow.collect._auth import Credentials, Secret
from talentflow.errors import AccessError, ApiError, UsageError

#: Failures worth another attempt.
RETRIED = ("rate_limited", "server_error", "network")


@dataclass(frozen=True)
class Politeness:
    """How hard talentflow presses the API. hh.ru's limit is per address and per second, said to be about 10
    requests a second and subject to change (SCHEMA.md section 7): the default stays well under it."""

    rate: float = 3.0
    retries: int = 5
    backoff: float = 1.0
    max_backoff: float = 60.0
    #: A Retry-After longer than this stops the run instead of waiting.
    max_retry_after: float = 600.0
    timeout: float = 30.0
    breaker_window: int = 30
    #: The breaker's pause; None: 30 times ``backoff``.
    breaker_cooldown: float | None = None

    def __post_init__(self) -> None:
        for name in ("rate", "timeout"):
            if getattr(self, name) <= 0:
                raise UsageError(f"must be above 0, not {getattr(self, name)}", param=name)
        for name in ("retries", "backoff"):
            if getattr(self, name) < 0:
                raise UsageError(f"must be 0 or more, not {getattr(self, name)}", param=name)

    @property
    def cooldown(self) -> float:
        return self.breaker_cooldown if self.breaker_cooldown is not None else 30 * self.backoff


class TokenBucket:
    """At most ``rate`` requests a second on average, and no burst beyond ``burst``."""

    def __init__(self, rate: float, burst: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst, self.clock = rate, max(burst, 1.0), clock
        self.tokens = self.burst
        self.last = clock()
        self.lock = threading.Lock()

    def wait(self, sleep: Callable[[float], None]) -> None:
        with self.lock:
            now = self.clock()
            self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
            self.last = now
            self.tokens -= 1.0
            delay = -self.tokens / self.rate if self.tokens < 0 else 0.0
        if delay > 0:
            sleep(delay)


@dataclass
class Failure:
    """One failed attempt: its ``kind``, whether another attempt may help, and what to say about it."""

    kind: str
    detail: str
    status: int | None = None
    retry_after: float | None = None
    value: str | None = None
    captcha_url: str | None = None

    @property
    def retried(self) -> bool:
        return self.kind in RETRIED


@dataclass
class Reply:
    status: int
    body: Any
    #: When the request was sent (the collector's clock): the sightings' observed_at.
    observed_at: datetime


@dataclass
class Tally:
    """What the client has spent: requests (every attempt), retries, failures by kind."""

    requests: int = 0
    retries: int = 0
    failures: collections.Counter[str] = field(default_factory=collections.Counter)


class Client:
    """GET requests to the API with the politeness above; ``get`` returns a `Reply` or raises a talentflow error."""

    def __init__(
        self,
        api_url: str,
        user_agent: str,
        credentials: Credentials | None,
        politeness: Politeness | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        seed: int | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.user_agent = user_agent
        self.credentials = credentials
        self.p = politeness or Politeness()
        self.clock = clock or (lambda: datetime.now(UTC))
        self.sleep = sleep
        self.rng = random.Random(seed)
        self.bucket = TokenBucket(self.p.rate)
        self.tally = Tally()
        self.recent: collections.deque[str | None] = collections.deque(maxlen=self.p.breaker_window)
        self.renewed = False
        headers = {"HH-User-Agent": user_agent, "User-Agent": user_agent, "Accept": "application/json"}
        self.http = httpx.Client(
            headers=headers, timeout=httpx.Timeout(self.p.timeout), transport=transport, follow_redirects=False
        )
        self._token: Secret | None = None

    def close(self) -> None:
        self.http.close()

    # -- the token -------------------------------------------------------------------------------------------
    def _post_form(self, url: str, form: dict[str, str]) -> tuple[int, Any]:
        self.bucket.wait(self.sleep)
        self.tally.requests += 1
        try:
            response = self.http.post(url, data=form)
        except httpx.HTTPError as exc:
            raise ApiError(f"no answer from {url} for an application token ({_network(exc)})", kind="network") from None
        return response.status_code, _json_or_none(response)

    def _auth(self) -> dict[str, str]:
        if self.credentials is None:
            return {}
        if self._token is None:
            self._token = self.credentials.current(self._post_form)
        return {"Authorization": f"Bearer {self._token.reveal()}"}

    # -- requests --------------------------------------------------------------------------------------------
    def get(self, path: str, params: list[tuple[str, str]] | None = None) -> Reply:
        """``GET {api_url}{path}``: retried while failures may pass, raised as the error of their kind."""
        attempt = 0
        while True:
            self._breaker()
            observed_at = self.clock()
            failure, response = self._attempt(path, params)
            self.recent.append(failure.kind if failure else None)
            if failure is None:
                assert response is not None
                return Reply(response.status_code, _json_or_none(response), observed_at)
            self.tally.failures[failure.kind] += 1
            if failure.kind == "oauth" and self.credentials is not None and not self.renewed:
                # One new token per run, and only when the old one was rejected: a new token revokes the old.
                self.renewed = True
                self._token = self.credentials.renew(self._post_form, failure.value or "rejected")
                continue
            if not failure.retried or attempt >= self.p.retries:
                raise _error(failure, path, attempt + 1, self)
            attempt += 1
            self.tally.retries += 1
            self.sleep(self._delay(attempt, failure))

    def _attempt(self, path: str, params: list[tuple[str, str]] | None) -> tuple[Failure | None, httpx.Response | None]:
        self.bucket.wait(self.sleep)
        self.tally.requests += 1
        try:
            response = self.http.get(self.api_url + path, params=list(params or ()), headers=self._auth())
        except httpx.TimeoutException as exc:
            return Failure("network", f"timed out ({type(exc).__name__})"), None
        except httpx.HTTPError as exc:
            return Failure("network", _network(exc)), None
        return classify(response), response

    def _delay(self, attempt: int, failure: Failure) -> float:
        if failure.retry_after is not None and failure.retry_after > self.p.max_retry_after:
            raise ApiError(
                f"hh.ru asks to wait {failure.retry_after:.0f} s before the next request (429 Retry-After), longer "
                f"than talentflow waits ({self.p.max_retry_after:.0f} s): resume later with "
                "`talentflow collect hh --resume`",
                kind="rate_limited",
            )
        ceiling = min(self.p.max_backoff, self.p.backoff * 2 ** (attempt - 1))
        jittered = self.rng.uniform(0, ceiling)
        return max(jittered, failure.retry_after or 0.0)

    def _breaker(self) -> None:
        """Pause when more than half of the last attempts failed; stop if the trial after the pause fails."""
        window = self.p.breaker_window
        failed = sum(1 for k in self.recent if k is not None)
        if len(self.recent) < window or failed * 2 <= window:
            return
        kinds = collections.Counter(k for k in self.recent if k is not None)
        cooldown = self.p.cooldown
        self.sleep(cooldown)
        self.recent.clear()
        self.recent.extend([None] * (window // 2))  # half-open: one more failure reopens it
        trial, _ = self._attempt("/vacancies", [("per_page", "0")])
        self.recent.append(trial.kind if trial else None)
        if trial is not None:
            self.tally.failures[trial.kind] += 1
            shown = ", ".join(f"{n} {k}" for k, n in kinds.most_common())
            raise ApiError(
                f"stopped: {failed} of the last {window} requests failed ({shown}), and so did a trial after a "
                f"{cooldown:g} s pause ({trial.detail}); the API is in trouble: resume later with "
                "`talentflow collect hh --resume`",
                kind="circuit_open",
            )


def classify(response: httpx.Response) -> Failure | None:
    """None for a usable answer, else the failure it stands for."""
    status = response.status_code
    body = _json_or_none(response)
    errors = _errors(body)
    if status == 200:
        return None if body is not None else Failure("server_error", "HTTP 200 with a body that is not JSON", status)
    if status == 429:
        return Failure("rate_limited", "HTTP 429 Too Many Requests", status, retry_after=_retry_after(response))
    if status >= 500:
        kind = f"HTTP {status} with {'an hh.ru error' if errors else _content(response)}"
        return Failure("server_error", kind, status, retry_after=_retry_after(response))
    types = {e.get("type"): e for e in errors}
    if "captcha_required" in types:
        url = types["captcha_required"].get("captcha_url") or (body or {}).get("captcha_url")
        return Failure("captcha_required", "HTTP 403 captcha_required", status, captcha_url=url)
    if "oauth" in types:
        return Failure("oauth", "HTTP 403 oauth", status, value=str(types["oauth"].get("value") or ""))
    if status == 403:
        return Failure(
            "blocked", f"HTTP 403 with {_content(response) if not errors else 'no known hh.ru error'}", status
        )
    if status == 451:
        return Failure("geo_blocked", "HTTP 451 Unavailable For Legal Reasons", status)
    if "bad_user_agent" in types:
        return Failure(
            "bad_user_agent", "HTTP 400 bad_user_agent", status, value=str(types["bad_user_agent"].get("value"))
        )
    if "bad_argument" in types or (isinstance(body, dict) and body.get("bad_argument")):
        # hh.ru's answer at the cap is a bare {"description": …, "bad_argument": "page, per_page"}.
        value = str(types.get("bad_argument", {}).get("value") or body.get("bad_argument") or "")
        return Failure("bad_argument", "HTTP 400 bad_argument", status, value=value)
    if status == 404:
        return Failure("not_found", "HTTP 404 not_found", status)
    return Failure("unexpected", f"HTTP {status} ({', '.join(map(str, types)) or _content(response)})", status)


def _error(failure: Failure, path: str, attempts: int, client: Client) -> ApiError | UsageError:
    """The talentflow error of a failure that ends the request, worded for what to do about it."""
    kind, resume = failure.kind, "then `talentflow collect hh --resume`"
    token_hint = "an application token (TALENTFLOW_HH_TOKEN, or TALENTFLOW_HH_CLIENT_ID and _SECRET; docs/collect.md)"
    if kind == "captcha_required":
        return AccessError(
            f"hh.ru asks for a captcha (captcha_required) and a collector cannot solve one: open "
            f"{failure.captcha_url or 'the captcha page'} in a browser from this address, or send {token_hint}, "
            f"which hh.ru does not captcha; {resume}",
            kind=kind,
        )
    if kind == "oauth":
        return AccessError(
            f"hh.ru rejected the application token (oauth: {failure.value or 'no reason given'}): it is bad, "
            f"expired or revoked; obtain a new one (docs/collect.md), {resume}",
            kind=kind,
        )
    if kind == "blocked":
        return AccessError(
            f"hh.ru refused this address ({failure.detail}): it blocks anonymous requests from data-centre "
            f"addresses; send {token_hint} or collect from another network, {resume}",
            kind=kind,
        )
    if kind == "geo_blocked":
        return AccessError(
            f"hh.ru refused this address for its location ({failure.detail}): collect from an address in a country "
            f"hh.ru serves, {resume}",
            kind=kind,
        )
    if kind == "bad_user_agent":
        return AccessError(
            f"hh.ru rejected the User-Agent {client.user_agent!r} (bad_user_agent: {failure.value}): name your "
            f"application and a real contact, e.g. 'MyStudy/1.0 (me@example.org)' (--user-agent), {resume}",
            kind=kind,
        )
    if kind == "bad_argument":
        if failure.value and ("page" in failure.value or "per_page" in failure.value):
            return ApiError(
                f"hh.ru refused a page (bad_argument: {failure.value}): the 2,000-result cap was met where talentflow "
                "did not expect it (has hh.ru changed its paging?); please report it with `talentflow collect hh "
                "--json` output",
                kind="paging",
            )
        return UsageError(f"hh.ru rejects the search parameter {failure.value!r} (bad_argument)", param="params")
    if kind == "rate_limited":
        return ApiError(
            f"hh.ru answered 429 Too Many Requests {attempts} times in a row on GET {path}: lower --rate, {resume}",
            kind=kind,
        )
    if kind == "server_error":
        return ApiError(
            f"hh.ru failed {attempts} times in a row on GET {path} (last: {failure.detail}): the service is down "
            f"or overloaded; {resume} later",
            kind=kind,
        )
    if kind == "network":
        return ApiError(
            f"no answer from {client.api_url} after {attempts} attempts on GET {path} (last: {failure.detail}): "
            f"check the network and --api-url, {resume}",
            kind=kind,
        )
    return ApiError(f"hh.ru answered GET {path} with {failure.detail}", kind=kind)


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _errors(body: Any) -> list[dict[str, Any]]:
    """hh.ru's error envelope ``{"errors": [{"type", "value"}]}``, or a bare error object, as a list."""
    if not isinstance(body, dict):
        return []
    errors = body.get("errors")
    if isinstance(errors, list):
        return [e for e in errors if isinstance(e, dict) and "type" in e]
    return [body] if isinstance(body.get("type"), str) else []


def _content(response: httpx.Response) -> str:
    kind = response.headers.get("content-type", "").split(";")[0].strip()
    return f"a non-JSON body ({kind})" if kind else "an empty body" if not response.content else "a non-JSON body"


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)  # Retry-After may also be an HTTP date
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _network(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.ConnectError):
        return "connection refused or unreachable"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "connection dropped without an answer"
    return type(exc).__name__

"""What every request passes before the app sees it, and every answer gets on its way out.

- The ``Host`` header must name this machine's loopback (``localhost``, ``127.0.0.1``, ``[::1]``, any port) or a
  name the user allowed (``talentflow serve --allow-host NAME``): a web page on another site that rebinds its DNS
  name to 127.0.0.1 sends its own name as ``Host``, so it cannot read the API (DNS rebinding).
- A query string longer than the limit is refused (414) before it is parsed.
- ``HEAD`` is answered as ``GET`` is, without the body.
- Security headers: the pages load nothing but this server's own files (``Content-Security-Policy``), are never
  framed, never sniffed into another type, and send no referrer.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

LOOPBACK = ("localhost", "127.0.0.1", "::1")

#: Scripts from this server only, and never inline; inline styles are allowed because plotly.js draws with them
#: (its own <style> element), and a style cannot run code.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


def host_name(header: str) -> str:
    """The name in a ``Host`` header, without its port, lower case: ``[::1]:8000`` → ``::1``."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else header
    name, sep, port = header.rpartition(":")
    return name if sep and port.isdigit() else header


class Guard:
    """ASGI middleware: the Host check, the query length limit, HEAD, and the security headers."""

    def __init__(self, app: ASGIApp, *, allow_hosts: Iterable[str] = (), query_bytes: int = 8192) -> None:
        self.app = app
        self.allowed = {*LOOPBACK, *(host_name(h) for h in allow_hosts)}
        self.query_bytes = query_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = next((v.decode("latin-1") for k, v in scope.get("headers", ()) if k == b"host"), "")
        if host_name(host) not in self.allowed:
            shown = host[:100] or "(none)"
            allowed = ", ".join(sorted(self.allowed))
            detail = (
                f"Host: {shown!r} is not a name this server answers to ({allowed}); to reach it by that name, start "
                "it with --allow-host NAME"
            )
            await _refuse(send, 400, detail)
            return
        if len(scope.get("query_string", b"")) > self.query_bytes:
            await _refuse(send, 414, f"request: the query is longer than the limit of {self.query_bytes:,} bytes")
            return
        head = scope["method"] == "HEAD"
        if head:
            scope = {**scope, "method": "GET"}

        async def send_guarded(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", ())}
                extra = [(k, v) for k, v in HEADERS if k not in names]
                message = {**message, "headers": [*message.get("headers", ()), *extra]}
            elif head and message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app(scope, receive, send_guarded)


async def _refuse(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *HEADERS]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})

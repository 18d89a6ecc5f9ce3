"""What the dashboard refuses: other hosts' names, other sites' writes, large bodies, framing.

The dashboard listens on loopback by default, where any web page the facilitator visits can still
reach it: a page on another site can submit a form to ``http://127.0.0.1:8000/brief/mark`` (a
cross-site write), and a name under an attacker's control can be re-pointed at 127.0.0.1 (DNS
rebinding) so that the attacker's page reads the dashboard as its own origin. So, on every request:

* **Host allow-list.** The ``Host`` header must name loopback (``localhost``, ``127.0.0.1``,
  ``[::1]``) or the address given to ``--host``; anything else is 421 Misdirected Request. A
  rebound name never matches, so its page cannot read a single figure.
* **State changes need proof of origin.** Every request that is not ``GET``/``HEAD`` must carry the
  form token of this server (:func:`form_token`, an HMAC of a secret drawn at start-up, placed in
  every form); and when the browser says where it comes from, that must be here: ``Origin`` (sent
  by browsers on every cross-origin ``POST``, ``no-cors`` fetches and form posts included) must
  name an allowed host, and ``Sec-Fetch-Site`` must be ``same-origin`` or ``none``. Anything else
  is 403, and nothing is written.
* **Bodies are small.** A body over :data:`MAX_BODY` bytes is 413 (declared length checked before
  reading; a chunked body stops being read at the limit).
* **Security headers** on every response: a Content-Security-Policy (no ``unsafe-eval``, no
  ``unsafe-inline`` script: scripts only from this server or by hash), ``frame-ancestors 'none'``,
  ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: same-origin``.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from fastapi import FastAPI, Request, Response
from fastapi.responses import PlainTextResponse

MAX_BODY = 16 * 1024
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def host_name(value: str) -> str:
    """The host part of a ``Host`` header or an origin's netloc, without port or brackets.

    >>> host_name("127.0.0.1:8000"), host_name("[::1]:80"), host_name("LocalHost")
    ('127.0.0.1', '::1', 'localhost')
    """
    value = value.strip().lower()
    if value.startswith("["):
        return value[1:value.find("]")] if "]" in value else value[1:]
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


def allowed_hosts(listen_host: str) -> frozenset[str]:
    """Loopback names, plus the address the server was told to listen on (unless a wildcard).

    >>> sorted(allowed_hosts("127.0.0.1"))
    ['127.0.0.1', '::1', 'localhost']
    >>> "192.0.2.7" in allowed_hosts("192.0.2.7"), "0.0.0.0" in allowed_hosts("0.0.0.0")
    (True, False)
    """
    extra = {host_name(listen_host)} - {"0.0.0.0", "::", ""}
    return LOOPBACK_NAMES | extra


def form_token(secret: bytes) -> str:
    """The token every state-changing form carries (the same for the server's lifetime)."""
    return hmac.new(secret, b"communitas-dashboard-form", hashlib.sha256).hexdigest()


def script_hash(text: str) -> str:
    """The CSP source expression allowing exactly this inline script.

    >>> script_hash("")
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
    """
    import base64

    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def dashboard_csp(inline_scripts: list[str]) -> str:
    """The dashboard's policy: scripts from this server or these exact inline texts, no eval."""
    hashes = " ".join(script_hash(s) for s in inline_scripts)
    return ("default-src 'none'; script-src 'self' " + hashes + "; style-src 'unsafe-inline'; "
            "img-src data:; font-src data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")


def _origin_ok(request: Request, hosts: frozenset[str]) -> bool:
    origin = request.headers.get("origin")
    if origin is not None and (origin == "null" or host_name(urlsplit(origin).netloc) not in hosts):
        return False
    return request.headers.get("sec-fetch-site", "same-origin") in ("same-origin", "none")


def _refusal(request: Request, hosts: frozenset[str]) -> Response | None:
    if host_name(request.headers.get("host", "")) not in hosts:
        return PlainTextResponse("unknown host: open the dashboard at the URL `communitas serve` printed.",
                                 status_code=421)
    if request.method in SAFE_METHODS:
        return None
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
        return PlainTextResponse(f"request body over {MAX_BODY} bytes.", status_code=413)
    if not _origin_ok(request, hosts):
        return PlainTextResponse("refused: a change must come from the dashboard's own pages.",
                                 status_code=403)
    return None


def install(app: FastAPI, *, hosts: frozenset[str], csp: str) -> None:
    """Add the checks and headers above to ``app`` (outermost middleware)."""

    @app.middleware("http")
    async def guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = _refusal(request, hosts) or await call_next(request)
        response.headers.setdefault("Content-Security-Policy", csp)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"  # no-referrer makes form posts say Origin: null
        return response


async def read_small_body(request: Request) -> bytes | None:
    """The request body, or ``None`` once it passes :data:`MAX_BODY` (chunked bodies included)."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            return None
    return bytes(body)

"""ASGI middleware: request ids and access logs, liveness answered before routing, the
request size and time limits, stopping a request's reading when its client disconnects,
the limit on documents read at once, and the security headers of every response."""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import hashlib
import json
import logging
import re
import threading
import time
import uuid
from base64 import b64encode
from collections.abc import Callable, Iterable

import anyio.to_thread
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.documents import DocumentSlots, document_admission
from api.logs import request_id_var
from optimiser.io import cancel_reading_when

logger = logging.getLogger("api.access")

REQUEST_ID_HEADER = b"x-request-id"
_ACCEPTABLE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class RequestContextMiddleware:
    """Give every request an id (the caller's X-Request-ID if sensible), echo it in the
    response, and log one line per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(REQUEST_ID_HEADER, b"").decode("latin-1")
        request_id = given if _ACCEPTABLE_REQUEST_ID.match(given) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status_code = 500

        async def send_with_request_id(message: Message) -> None:
            nonlocal status_code
            if message["type"] == "http.response.start":
                status_code = message["status"]
                message["headers"] = [*message.get("headers", []), (REQUEST_ID_HEADER, request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_request_id)
        finally:
            logger.info(
                "%s %s %s",
                scope["method"],
                scope["path"],
                status_code,
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    "client": client_address(scope),
                    # The organisation and key id (never the key) once api.deps knows the caller.
                    **scope.get("state", {}).get(CALLER_STATE, {}),
                },
            )
            request_id_var.reset(token)


CALLER_STATE = "caller"  # request.state.caller: the log fields naming who called (api.deps)


def client_address(scope: Scope) -> str | None:
    """The client's address: the proxy's, unless uvicorn is told to trust its X-Forwarded-For."""
    client = scope.get("client")
    return str(client[0]) if client else None


class LivenessMiddleware:
    """Answer `GET /healthz` ("the process is alive") before routing: no dependency, server
    thread or database connection, and the least work the event loop can do for a request.
    The route in `api.routes.health` documents it and gives the same answer."""

    BODY = b'{"status":"ok"}'
    HEADERS = ((b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode()))

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # With a query string it is routed: the route refuses a parameter it does not take (422).
        if (
            scope["type"] == "http"
            and scope["path"] == "/healthz"
            and scope["method"] == "GET"
            and not scope.get("query_string")
        ):
            await send({"type": "http.response.start", "status": 200, "headers": list(self.HEADERS)})
            await send({"type": "http.response.body", "body": self.BODY})
            return
        await self.app(scope, receive, send)


WATCHED_METHODS = frozenset({"POST", "PUT", "PATCH"})


def _replay(body: bytes, receive: Receive) -> Receive:
    """`receive` giving `body` first, then whatever the client sends."""
    replayed = False

    async def replay_body() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay_body


class BodySizeLimitMiddleware:
    """Answer 413 to any request whose body is larger than `max_bytes`, declared or not, and
    408 to one whose body has not all arrived `read_timeout_s` after the request began (a
    client trickling bytes would otherwise hold its connection, and its buffer, for ever).

    Once the whole body of a POST, PUT or PATCH is in, it listens for the client going
    away: the request's reads through `optimiser.io` (uploads and JSON bodies, read in server
    threads that copy this context) then stop with `ReadCancelled`, and
    `request.is_disconnected()` becomes true.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, read_timeout_s: float) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.read_timeout_s = read_timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse_too_large(send)
            return
        # Kept as the chunks received and joined once: one copy of the body per request, not two.
        chunks: list[bytes] = []
        received = 0
        try:
            async with asyncio.timeout(self.read_timeout_s):
                while True:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        return
                    chunks.append(message.get("body", b""))
                    received += len(chunks[-1])
                    if received > self.max_bytes:
                        await self._refuse_too_large(send)
                        return
                    if not message.get("more_body", False):
                        break
        except TimeoutError:
            await self._refuse_too_slow(scope, received, send)
            return
        body = b"".join(chunks)
        del chunks
        if scope["method"] not in WATCHED_METHODS:
            await self.app(scope, _replay(body, receive), send)
            return
        replayed = False
        client_gone = threading.Event()  # read by server threads
        disconnected = asyncio.Event()

        async def watch_for_disconnect() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            client_gone.set()
            disconnected.set()

        async def replay_body() -> Message:
            nonlocal replayed
            if replayed:
                await disconnected.wait()
                return {"type": "http.disconnect"}
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        watcher = asyncio.create_task(watch_for_disconnect())
        try:
            with cancel_reading_when(client_gone):
                await self.app(scope, replay_body, send)
        finally:
            watcher.cancel()

    async def _refuse_too_large(self, send: Send) -> None:
        from optimiser.deliverability.wording import request_too_large

        await _send_detail(send, 413, request_too_large(self.max_bytes))

    async def _refuse_too_slow(self, scope: Scope, received: int, send: Send) -> None:
        from optimiser.deliverability.wording import request_body_too_slow

        logger.warning(
            "request body too slow: %s %s sent %s bytes in %s s",
            scope["method"],
            scope["path"],
            received,
            self.read_timeout_s,
            extra={"client": client_address(scope), "received_bytes": received},
        )
        # The rest of the body is never read: the connection cannot carry another request.
        await _send_detail(send, 408, request_body_too_slow(self.read_timeout_s), [(b"connection", b"close")])


async def _send_detail(send: Send, status: int, detail: str, headers: Iterable[tuple[bytes, bytes]] = ()) -> None:
    """Answer ``{"detail": detail}`` with ``status``, as the API's other errors read."""
    payload = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


class DocumentAdmissionMiddleware:
    """Hold each POST, PUT or PATCH to ``slots`` while it reads scenario documents (``api.documents``
    takes the slot; a request over the limit is answered 503), and after a large body, once no
    document is being read, give the memory freed by it back to the system.

    Without that, glibc keeps the freed memory in every server thread's arena: after 16 large
    bodies at once the process stayed at 540 MB (audit 13 #3).
    """

    def __init__(self, app: ASGIApp, slots: DocumentSlots) -> None:
        self.app = app
        self.slots = slots

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in WATCHED_METHODS:
            await self.app(scope, receive, send)
            return
        with document_admission(self.slots):
            await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length", b"")
        large = declared.isdigit() and int(declared) >= GIVE_BACK_AFTER_BYTES
        if large and self.slots.in_use == 0 and _malloc_trim is not None:
            await anyio.to_thread.run_sync(_malloc_trim, 0)


GIVE_BACK_AFTER_BYTES = 1024 * 1024  # smaller bodies leave little to give back


def _find_malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None where the C library has none (musl, macOS)."""
    name = ctypes.util.find_library("c")
    try:
        trim: Callable[[int], int] = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None
    return trim


_malloc_trim = _find_malloc_trim()


# Every page but the API docs: nothing inline, nothing from another site, never framed.
PAGE_POLICY = "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
HSTS = b"max-age=31536000"
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)


def docs_page_policy(html: bytes) -> str:
    """The policy of a Swagger UI or ReDoc page (``api.offline_docs``): its inline start-up
    script allowed by its hash, the inline styles both draw with, their data: images and
    ReDoc's search worker; still nothing from another site and never framed."""
    scripts = ["'self'"] + [
        f"'sha256-{b64encode(hashlib.sha256(script).digest()).decode()}'" for script in _INLINE_SCRIPT.findall(html)
    ]
    return (
        f"default-src 'self'; script-src {' '.join(scripts)}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; worker-src 'self' blob:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    )


class SecurityHeadersMiddleware:
    """Add the security headers to every response (audit 12 #2): a Content-Security-Policy
    (``PAGE_POLICY``, or a path's own from ``policies``), no MIME sniffing, no framing, the
    referrer only to this site, and HSTS when the request came over HTTPS."""

    def __init__(self, app: ASGIApp, policies: dict[str, str]) -> None:
        self.app = app
        self.policies = policies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = [
            (b"content-security-policy", self.policies.get(scope["path"], PAGE_POLICY).encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"same-origin"),
        ]
        if scope.get("scheme") == "https":
            headers.append((b"strict-transport-security", HSTS))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *headers]
            await send(message)

        await self.app(scope, receive, send_with_headers)

"""ASGI middleware: request ids and access logs, liveness answered before routing, the
request size limit, and stopping a request's reading when its client disconnects."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

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
                },
            )
            request_id_var.reset(token)


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
    """Answer 413 to any request whose body is larger than `max_bytes`, declared or not.

    Once the whole body of a POST, PUT or PATCH is in, it listens for the client going
    away: the request's reads through `optimiser.io` (uploads and JSON bodies, read in server
    threads that copy this context) then stop with `ReadCancelled`, and
    `request.is_disconnected()` becomes true.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if len(body) > self.max_bytes:
                await self._refuse(send)
                return
            if not message.get("more_body", False):
                break
        if scope["method"] not in WATCHED_METHODS:
            await self.app(scope, _replay(bytes(body), receive), send)
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
            return {"type": "http.request", "body": bytes(body), "more_body": False}

        watcher = asyncio.create_task(watch_for_disconnect())
        try:
            with cancel_reading_when(client_gone):
                await self.app(scope, replay_body, send)
        finally:
            watcher.cancel()

    async def _refuse(self, send: Send) -> None:
        from optimiser.deliverability.wording import request_too_large

        detail = request_too_large(self.max_bytes)
        payload = json.dumps({"detail": detail}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})

"""`commission serve`'s HTTP/1.1 protocol: uvicorn's h11 one, with a time limit on each request's
line and headers (COMMISSION_HEADER_READ_TIMEOUT_S).

Why it exists: uvicorn's h11 protocol times nothing before a request's head is parsed. A new
connection has no timer and every byte received cancels the keep-alive timer, so a client that
sends its headers a byte every few seconds (slowloris) holds its connection for ever, and
COMMISSION_MAX_CONNECTIONS such clients leave everyone else a 503. uvicorn has no setting for it
(nor does its httptools protocol, which is not installed here). The body
has its own limit (api.middleware.BodySizeLimitMiddleware); keep-alive, bodies and streamed
responses are uvicorn's, unchanged.
"""

from __future__ import annotations

import asyncio
import json
import logging

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from optimiser.deliverability.wording import request_head_too_slow

logger = logging.getLogger("api.access")


class HeadTimedH11Protocol(H11Protocol):
    """Closes a connection whose request line and headers have not all arrived ``head_timeout_s``
    after it opened, or after the first bytes of its next request arrived (a 408 first, if part of
    a request came). An idle keep-alive connection is left to uvicorn's keep-alive timer."""

    head_timeout_s: float  # set by head_timed_protocol
    head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.head_timer = self.loop.call_later(self.head_timeout_s, self.head_too_slow)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self.watch_head()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self.watch_head()  # a pipelined request's first bytes may already be waiting

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        self.stop_head_timer()

    def watch_head(self) -> None:
        """Time a request's head from its first bytes (h11 holds them unparsed) until h11 has parsed it."""
        if self.conn.their_state is not h11.IDLE or self.transport.is_closing():
            self.stop_head_timer()
        elif self.head_timer is None and self.conn.trailing_data[0]:
            self.head_timer = self.loop.call_later(self.head_timeout_s, self.head_too_slow)

    def stop_head_timer(self) -> None:
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None

    def head_too_slow(self) -> None:
        self.head_timer = None
        if self.transport.is_closing():  # closed since (by uvicorn's shutdown), not yet lost
            return
        received = len(self.conn.trailing_data[0])
        logger.warning(
            "request head too slow: %s bytes in %s s, connection closed",
            received,
            self.head_timeout_s,
            extra={"client": self.client[0] if self.client else None, "received_bytes": received},
        )
        if received:  # a connection that sent nothing asked nothing: closed without an answer
            detail = json.dumps({"detail": request_head_too_slow(self.head_timeout_s)}).encode()
            headers = [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(detail)).encode()),
                (b"connection", b"close"),
            ]
            # h11 lets a server answer before the request's head is in: the case 408 is for.
            answer = h11.Response(status_code=408, headers=headers, reason=b"Request Timeout")
            for event in (answer, h11.Data(data=detail), h11.EndOfMessage()):
                self.transport.write(self.conn.send(event) or b"")
        self.transport.close()


def head_timed_protocol(timeout_s: float) -> type[H11Protocol]:
    """The protocol class for ``uvicorn.run(http=...)``: uvicorn makes each connection's protocol
    from its own config alone, so the limit travels on the class."""

    class Timed(HeadTimedH11Protocol):
        head_timeout_s = timeout_s

    return Timed

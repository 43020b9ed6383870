"""A real `commission serve` and real sockets: a request's line and headers must arrive within
COMMISSION_HEADER_READ_TIMEOUT_S (api/protocol.py). Before, uvicorn timed nothing until a request's
head was in, so a client sending one header byte a second held its connection for ever (slowloris).
Keep-alive and the body's own 408 (COMMISSION_BODY_READ_TIMEOUT_S) are unchanged."""

from __future__ import annotations

import json
import select
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from optimiser.deliverability.wording import request_body_too_slow, request_head_too_slow
from tests.servers import Server, running_server

HEAD_TIMEOUT_S = 1
BODY_READ_TIMEOUT_S = 3  # longer than the head's: a slow body is cut by its own limit, not the head's
KEEP_ALIVE_S = 5
# Generous: the limit plus time for a loaded machine; without the limit nothing is ever closed.
CLOSED_WITHIN_S = HEAD_TIMEOUT_S + 8
HEALTHZ = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from running_server(
        "sqlite",
        Path(tmp_path_factory.mktemp("headers")),
        workers=0,
        COMMISSION_HEADER_READ_TIMEOUT_S=str(HEAD_TIMEOUT_S),
        COMMISSION_BODY_READ_TIMEOUT_S=str(BODY_READ_TIMEOUT_S),
        COMMISSION_KEEP_ALIVE_S=str(KEEP_ALIVE_S),
    )


def connect(server: Server) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=CLOSED_WITHIN_S + 5)


def trickle(client: socket.socket, data: bytes) -> bytes:
    """Send ``data`` a byte every quarter second until the server answers or closes (or the bound
    passes); what it sent, up to its closing."""
    deadline = time.monotonic() + CLOSED_WITHIN_S
    for byte in data:
        if time.monotonic() > deadline:
            break
        try:
            client.sendall(bytes([byte]))
        except (BrokenPipeError, ConnectionResetError):
            break
        # Wait for an answer before the next byte: one sent after the server has answered and closed
        # draws a reset, which can discard the answer before it is read.
        if select.select([client], [], [], 0.25)[0]:
            break
    return read_until_closed(client, deadline)


def read_until_closed(client: socket.socket, deadline: float) -> bytes:
    """What the server sends until it closes the connection; fails if it is still open at ``deadline``."""
    answer = b""
    try:
        while select.select([client], [], [], max(deadline - time.monotonic(), 0))[0]:
            chunk = client.recv(65536)
            if not chunk:
                return answer
            answer += chunk
    except ConnectionResetError:  # the server closed with our bytes unread: what came before stands
        return answer
    raise AssertionError(f"the connection is still open; received {answer!r}")


def read_response(client: socket.socket) -> tuple[bytes, bytes]:
    """One response's head and body (by its Content-Length), the connection left open."""
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = client.recv(65536)
        assert chunk, f"closed after {received!r}"
        received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1]) for line in head.lower().split(b"\r\n") if line.startswith(b"content-length:")
    )
    while len(body) < length:
        chunk = client.recv(65536)
        assert chunk, f"closed after {received + body!r}"
        body += chunk
    return head, body


def answered(answer: bytes) -> tuple[bytes, dict[str, str]]:
    head, _, body = answer.partition(b"\r\n\r\n")
    return head.lower(), json.loads(body)


def warnings_logged(server: Server, start: str) -> int:
    lines = [json.loads(line) for line in server.log.read_text().splitlines() if line.startswith("{")]
    return sum(1 for line in lines if line["level"] == "WARNING" and line["message"].startswith(start))


def test_a_request_head_sent_slowly_is_answered_408_and_closed(server: Server) -> None:
    client = connect(server)
    try:
        client.sendall(b"GET /healthz HTTP/1.1\r\n")
        answer = trickle(client, b"X-Slow: " + b"a" * 1000)  # a byte every 0.25 s: never idle, never done
    finally:
        client.close()
    head, body = answered(answer)
    assert head.startswith(b"http/1.1 408"), answer
    assert b"connection: close" in head
    assert body == {"detail": request_head_too_slow(HEAD_TIMEOUT_S)}
    assert warnings_logged(server, "request head too slow") >= 1
    assert httpx.get(f"{server.url}/healthz", timeout=10).status_code == 200  # others are still served


def test_a_connection_that_sends_nothing_is_closed_without_an_answer(server: Server) -> None:
    client = connect(server)
    try:
        assert read_until_closed(client, time.monotonic() + CLOSED_WITHIN_S) == b""
    finally:
        client.close()


def test_keep_alive_outlasts_the_head_limit(server: Server) -> None:
    """An idle connection between requests is kept for COMMISSION_KEEP_ALIVE_S, longer than the
    head's limit: the head's timer runs only while a request's head is arriving."""
    client = connect(server)
    try:
        for pause in (0, 2 * HEAD_TIMEOUT_S):
            assert pause < KEEP_ALIVE_S
            time.sleep(pause)
            client.sendall(HEALTHZ)
            head, body = read_response(client)
            assert head.startswith(b"HTTP/1.1 200"), head
            assert json.loads(body) == {"status": "ok"}
    finally:
        client.close()


def test_a_slow_body_after_a_prompt_head_gets_the_bodys_408(server: Server) -> None:
    client = connect(server)
    try:
        client.sendall(
            b"POST /scenarios HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b'Content-Length: 1000\r\n\r\n{"pcns": ['
        )
        answer = trickle(client, b" " * 990)
    finally:
        client.close()
    head, body = answered(answer)
    assert head.startswith(b"http/1.1 408"), answer
    assert body == {"detail": request_body_too_slow(BODY_READ_TIMEOUT_S)}  # the body's limit, not the head's

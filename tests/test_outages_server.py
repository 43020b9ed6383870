"""A real `commission serve` and real sockets: a body that trickles in is cut at the deadline
with 408 (audit 12 #6), connections past the limit are refused, every response carries the
security headers (audit 12 #2), and the access log names who called (audit 12 #8, audit 13 #7)."""

from __future__ import annotations

import json
import select
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from optimiser.deliverability.wording import request_body_too_slow
from tests.api.test_load import make_key
from tests.servers import Server

BODY_READ_TIMEOUT_S = 2
MAX_CONNECTIONS = 4
PAGE_POLICY = "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, dict[str, str]]]:
    folder = tmp_path_factory.mktemp("served")
    url = f"sqlite:///{folder / 'api.db'}"
    headers = make_key(url)
    server = Server(
        url,
        folder,
        COMMISSION_LOG_LEVEL="INFO",
        COMMISSION_BODY_READ_TIMEOUT_S=str(BODY_READ_TIMEOUT_S),
        COMMISSION_MAX_CONNECTIONS=str(MAX_CONNECTIONS),
    )
    server.start()
    try:
        yield server, headers
    finally:
        server.stop()


def log_entries(server: Server) -> list[dict]:
    return [json.loads(line) for line in server.log.read_text().splitlines() if line.startswith("{")]


def trickling_upload(server: Server) -> socket.socket:
    """A connection that declares a 1,000-byte body and has sent 10 bytes of it."""
    client = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    client.sendall(
        f"POST /scenarios HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nContent-Type: application/json\r\n"
        'Content-Length: 1000\r\n\r\n{"pcns": ['.encode()
    )
    return client


def read_until_closed(client: socket.socket) -> bytes:
    answer = b""
    try:
        while chunk := client.recv(65536):
            answer += chunk
    except ConnectionResetError:  # the server closed with our trickled bytes unread: what came before stands
        pass
    return answer


def test_a_body_that_trickles_in_is_cut_at_the_deadline_with_408(served: tuple[Server, dict[str, str]]) -> None:
    server, _headers = served
    client = trickling_upload(server)
    answer = b""
    try:
        # One more byte every half second: the client is never idle, but never done.
        for _ in range(4 * BODY_READ_TIMEOUT_S * 2):
            try:
                client.sendall(b" ")
            except (BrokenPipeError, ConnectionResetError):
                break
            # Wait half a second for an answer before the next byte: a byte sent after the server has
            # answered and closed draws a reset, which can discard the answer before it is read.
            if select.select([client], [], [], 0.5)[0]:
                answer += read_until_closed(client)
                break
        answer += read_until_closed(client)  # and the server closes the connection
    finally:
        client.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408"), answer
    assert b"connection: close" in head.lower()
    assert json.loads(body) == {"detail": request_body_too_slow(BODY_READ_TIMEOUT_S)}
    assert any(entry["message"].startswith("request body too slow") for entry in log_entries(server))


def test_connections_past_the_limit_are_refused_until_the_slow_ones_are_cut(
    served: tuple[Server, dict[str, str]],
) -> None:
    server, _headers = served
    # uvicorn counts the connection asking: with the limit's less one held, the next is refused.
    slow = []
    for _ in range(MAX_CONNECTIONS - 1):
        slow.append(trickling_upload(server))
        time.sleep(0.3)  # each one's request has begun before the next connects
    try:
        refused = httpx.get(f"{server.url}/healthz", timeout=10)
        assert refused.status_code == 503
        for client in slow:  # each is answered 408 at its deadline and closed
            assert read_until_closed(client).startswith(b"HTTP/1.1 408")
    finally:
        for client in slow:
            client.close()
    assert httpx.get(f"{server.url}/healthz", timeout=10).status_code == 200


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/", 200),
        ("/desk/static/desk.js", 200),
        ("/openapi.json", 200),
        ("/healthz", 200),
        ("/readyz", 200),
        ("/jobs", 401),
        ("/nope", 404),
    ],
)
def test_every_response_carries_the_security_headers(
    served: tuple[Server, dict[str, str]], path: str, status: int
) -> None:
    server, _headers = served
    response = httpx.get(f"{server.url}{path}", timeout=10)
    assert response.status_code == status
    assert response.headers["content-security-policy"] == PAGE_POLICY
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "same-origin"
    assert "strict-transport-security" not in response.headers  # plain HTTP: HSTS belongs to HTTPS


def test_the_api_docs_have_a_policy_of_their_own(served: tuple[Server, dict[str, str]]) -> None:
    server, _headers = served
    for path in ("/docs", "/redoc"):
        policy = httpx.get(f"{server.url}{path}", timeout=10).headers["content-security-policy"]
        assert (
            "frame-ancestors 'none'" in policy and "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
        )
    swagger = httpx.get(f"{server.url}/docs", timeout=10).headers["content-security-policy"]
    assert "'sha256-" in swagger  # its inline start-up script, by hash


def test_a_too_large_body_is_refused_with_the_headers_too(served: tuple[Server, dict[str, str]]) -> None:
    server, headers = served
    client = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    try:  # a body declared larger than the limit is refused before it is sent
        client.sendall(
            f"POST /scenarios HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {20 * 1024 * 1024}\r\n"
            f"X-API-Key: {headers['X-API-Key']}\r\n\r\n".encode()
        )
        head = client.recv(65536).partition(b"\r\n\r\n")[0].lower()
    finally:
        client.close()
    assert head.startswith(b"http/1.1 413")
    assert b"x-frame-options: deny" in head


def test_access_lines_name_the_organisation_and_key_and_refused_keys_the_client(
    served: tuple[Server, dict[str, str]],
) -> None:
    server, headers = served
    token = headers["X-API-Key"]
    assert httpx.get(f"{server.url}/scenarios", headers={**headers, "X-Request-ID": "who-called"}).status_code == 200
    wrong = token[:-4] + "XXXX"
    assert httpx.get(f"{server.url}/jobs", headers={"X-API-Key": wrong, "X-Request-ID": "bad-key"}).status_code == 401
    desk = httpx.post(
        f"{server.url}/desk/sign-in",
        data={"api_key": wrong},
        headers={"Origin": server.url, "X-Request-ID": "bad-sign-in"},
    )
    assert desk.status_code == 401

    entries = log_entries(server)
    [called] = [e for e in entries if e.get("request_id") == "who-called" and e["logger"] == "api.access"]
    assert called["organisation"] == "load" and called["client"] == "127.0.0.1"
    assert len(called["key_id"]) == 36 and called["key_id"] not in token
    for request_id in ("bad-key", "bad-sign-in"):
        [refused] = [e for e in entries if e.get("request_id") == request_id and e["level"] == "WARNING"]
        assert refused["message"].startswith("API key refused") and refused["client"] == "127.0.0.1"
        assert refused["key_prefix"] == token.split("_")[1]
    assert token not in server.log.read_text() and wrong not in server.log.read_text()

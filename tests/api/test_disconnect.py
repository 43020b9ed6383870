"""A client that goes away stops the work on its request.

An upload's reading (workbook, zip of CSVs, JSON) runs in a server thread; when the client
disconnects, the reading stops at its next row, sheet or file, nothing is stored, the
server logs it and counts it in `/metrics` (`commission_uploads_abandoned_total`).
Jobs are different: they are durable and run to the end whoever waits for them.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import socket
import threading
import time
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import httpx
import pytest
from sqlalchemy import func, select

from api.main import create_app
from api.orm import Scenario, ScenarioVersion
from api.settings import Settings
from models.validate import validate_document
from optimiser.io import ReadCancelled, ReadLimits, cancel_reading_when, read_bytes, read_document
from tests import nhs_files
from tests.api.helpers import TINY
from tests.api.test_load import make_key
from tests.servers import Server

# Times a cancelled read and watches a server's CPU seconds: it runs while no other test runs
# (marked alone: see tests/conftest.py).
pytestmark = pytest.mark.alone

METRICS_TOKEN = "operators-token-0123456789"
PADDING_ROWS = 50_000  # the service's default limit of rows per table
PADDING_COLUMNS = 64  # and of columns per sheet
SERVER_LIMITS = ReadLimits(max_file_bytes=10 * 1024 * 1024, max_expanded_bytes=100 * 1024 * 1024, max_table_rows=50_000)


# A workbook that is slow to read but within every limit -----------------------------------


def _column(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _cell(reference: str, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        text = escape(str(value))
        return f'<c r="{reference}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
    return f'<c r="{reference}"><v>{value!r}</v></c>'


def _sheet(rows: list[list[Any]], padding_rows: int = 0) -> str:
    """Sheet XML; `padding_rows` more rows hold one blank text cell in the last allowed column,
    so that a reader pads each of them to the full width and finds nothing in it."""
    width = max([len(row) for row in rows] + [PADDING_COLUMNS if padding_rows else 1])
    last_row = len(rows) + padding_rows
    body = [
        f'<row r="{r}">'
        + "".join(_cell(f"{_column(c)}{r}", v) for c, v in enumerate(row, 1) if v is not None)
        + "</row>"
        for r, row in enumerate(rows, 1)
    ]
    edge = _column(PADDING_COLUMNS)
    body += [
        f'<row r="{r}"><c r="{edge}{r}" t="inlineStr"><is><t xml:space="preserve"> </t></is></c></row>'
        for r in range(len(rows) + 1, last_row + 1)
    ]
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<dimension ref="A1:{_column(width)}{last_row}"/><sheetData>{"".join(body)}</sheetData></worksheet>'
    )


def slow_workbook(document: dict[str, Any], padding_sheets: int) -> bytes:
    """The scenario `document` as an .xlsx, plus `padding_sheets` sheets of PADDING_ROWS rows that
    hold only blanks: valid, within every limit of the service, and seconds of reading each."""
    sheets: list[tuple[str, list[list[Any]], int]] = []
    for table, value in document.items():
        if table == "settings":
            sheets.append((table, [["key", "value"], *[[k, v] for k, v in value.items()]], 0))
            continue
        columns = list(dict.fromkeys(column for record in value for column in record))
        sheets.append((table, [columns, *[[record.get(c) for c in columns] for record in value]], 0))
    sheets += [(f"padding{n}", [["nothing below"]], PADDING_ROWS) for n in range(padding_sheets)]
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    relationships = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    package = "http://schemas.openxmlformats.org/package/2006/relationships"
    sheet_type = f"{relationships}/worksheet"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{n}.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for n in range(1, len(sheets) + 1)
        )
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            f"{overrides}</Types>",
        )
        archive.writestr(
            "_rels/.rels",
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="{package}">'
            f'<Relationship Id="rId1" Type="{relationships}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>",
        )
        archive.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            f'<workbook xmlns="{main}" xmlns:r="{relationships}"><sheets>'
            + "".join(
                f'<sheet name="{escape(title)}" sheetId="{n}" r:id="rId{n}"/>'
                for n, (title, _, _) in enumerate(sheets, 1)
            )
            + "</sheets></workbook>",
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="{package}">'
            + "".join(
                f'<Relationship Id="rId{n}" Type="{sheet_type}" Target="worksheets/sheet{n}.xml"/>'
                for n in range(1, len(sheets) + 1)
            )
            + "</Relationships>",
        )
        for n, (_, rows, padding) in enumerate(sheets, 1):
            archive.writestr(f"xl/worksheets/sheet{n}.xml", _sheet(rows, padding))
    return buffer.getvalue()


def test_the_slow_workbook_is_a_valid_scenario_within_the_service_limits() -> None:
    workbook = slow_workbook(read_document(TINY), padding_sheets=1)
    document = read_bytes("slow.xlsx", workbook, SERVER_LIMITS)
    assert document == read_document(TINY) | {"settings": document["settings"]}
    validate_document(document)


def test_a_cancelled_read_stops_at_once_and_the_cli_path_is_unchanged() -> None:
    workbook = slow_workbook(read_document(TINY), padding_sheets=2)
    # Without a cancellation context (the CLI, batches) the bytes read in full, as before.
    started = time.perf_counter()
    assert read_bytes("slow.xlsx", workbook, SERVER_LIMITS)["practices"] == read_document(TINY)["practices"]
    full_read_s = time.perf_counter() - started
    gone = threading.Event()
    timer = threading.Timer(0.3, gone.set)
    started = time.perf_counter()
    timer.start()
    with pytest.raises(ReadCancelled), cancel_reading_when(gone):
        read_bytes("slow.xlsx", workbook, SERVER_LIMITS)
    # Stopped soon after the event, long before a full read would end (relative: the machine may be busy).
    assert time.perf_counter() - started < 0.3 + full_read_s / 2


# Every way of sending a document, through the whole application, with a client that
# disconnects as soon as its request has been sent ---------------------------------------------


def multipart(fields: dict[str, str | tuple[str, bytes, str]]) -> tuple[bytes, str]:
    """A multipart/form-data body of text fields and (filename, content, media type) files."""
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        if isinstance(value, str):
            head, content = f'Content-Disposition: form-data; name="{name}"\r\n\r\n', value.encode()
        else:
            filename, content, media_type = value
            head = (
                f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                f"Content-Type: {media_type}\r\n\r\n"
            )
        parts.append(f"--{boundary}\r\n{head}".encode() + content + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


async def send_and_leave(app: Any, method: str, path: str, headers: dict[str, str], body: bytes) -> list[int]:
    """Call the ASGI app as a server would for a client that disconnects right after sending."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in {**headers, "content-length": str(len(body))}.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
        "state": {},
    }
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    statuses: list[int] = []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    await app(scope, receive, send)
    return statuses


@pytest.fixture
def app_without_clients(tmp_path: Path) -> Iterator[tuple[Any, dict[str, str]]]:
    url = f"sqlite:///{tmp_path / 'api.db'}"
    headers = make_key(url)
    settings = Settings(database_url=url, workers=0, migrate_on_start=False, metrics_token=METRICS_TOKEN)
    app = create_app(settings)
    yield app, headers
    app.state.engine.dispose()


def stored_counts(app: Any) -> tuple[int, int]:
    with app.state.sessions() as session:
        scenarios = session.scalar(select(func.count()).select_from(Scenario))
        versions = session.scalar(select(func.count()).select_from(ScenarioVersion))
    return int(scenarios or 0), int(versions or 0)


def test_every_upload_path_stops_and_stores_nothing_when_its_client_has_gone(
    app_without_clients: tuple[Any, dict[str, str]], tmp_path: Path
) -> None:
    app, headers = app_without_clients
    document = read_document(TINY)
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    slow = ("slow.xlsx", slow_workbook(document, padding_sheets=1), xlsx)
    publications = nhs_files.write_all(tmp_path)

    async def run() -> list[list[int]]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            created = await client.post("/scenarios", json=document, headers=headers)
            assert created.status_code == 201, created.text
            # The desk (web pages): signed in, with the form's token.
            signed_in = await client.post("/desk/sign-in", data={"api_key": headers["X-API-Key"]})
            assert signed_in.status_code == 303, signed_in.text
            form = await client.get("/desk/check")
            csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
            assert csrf is not None, form.text
            cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
        scenario_id = created.json()["id"]
        desk, desk_type = multipart({"csrf": csrf.group(1), "source": "upload", "file": slow})
        upload, upload_type = multipart({"file": slow})
        nhs, nhs_type = multipart(
            {
                "icb": "QAA",
                "mapping": ("mapping.csv", publications["mapping"].read_bytes(), "text/csv"),
                "list_sizes": ("list_sizes.csv", publications["list_sizes"].read_bytes(), "text/csv"),
                "spec": slow,
            }
        )
        requests = [
            ("/scenarios", "application/json", json.dumps(document).encode()),
            ("/scenarios/upload", upload_type, upload),
            (f"/scenarios/{scenario_id}/versions", "application/json", json.dumps(document).encode()),
            (f"/scenarios/{scenario_id}/versions/upload", upload_type, upload),
            ("/imports/nhs", nhs_type, nhs),
        ]
        statuses = [
            await send_and_leave(app, "POST", path, {**headers, "content-type": media_type}, body)
            for path, media_type, body in requests
        ]
        statuses.append(
            await send_and_leave(app, "POST", "/desk/check", {"content-type": desk_type, "cookie": cookie}, desk)
        )
        return statuses

    assert asyncio.run(run()) == [[499]] * 6
    assert stored_counts(app) == (1, 1)  # only the scenario made before
    assert "commission_uploads_abandoned_total 6.0" in asyncio.run(_get_metrics(app))


async def _get_metrics(app: Any) -> str:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        response = await client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert response.status_code == 200, response.text
    return response.text


# A real server, a real socket ----------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def abandoned_uploads(url: str) -> float:
    response = httpx.get(f"{url}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=10)
    for line in response.text.splitlines():
        if line.startswith("commission_uploads_abandoned_total "):
            return float(line.split()[1])
    return 0.0


@pytest.mark.slow
def test_a_server_stops_reading_an_upload_when_its_client_disconnects(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'api.db'}"
    headers = make_key(url)
    # About 16 x 50,000 padded rows: tens of seconds of reading, well within every limit.
    workbook = slow_workbook(read_document(TINY), padding_sheets=16)
    assert len(workbook) < SERVER_LIMITS.max_file_bytes
    with zipfile.ZipFile(io.BytesIO(workbook)) as archive:
        assert sum(member.file_size for member in archive.infolist()) < SERVER_LIMITS.max_expanded_bytes
    body, content_type = multipart(
        {"file": ("slow.xlsx", workbook, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")}
    )
    server = Server(
        url,
        tmp_path,
        COMMISSION_MIGRATE_ON_START="false",
        COMMISSION_METRICS_TOKEN=METRICS_TOKEN,
        COMMISSION_LOG_LEVEL="WARNING",
    )
    server.start()
    try:
        assert server.process is not None
        pid = server.process.pid
        request = (
            f"POST /scenarios/upload HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
            f"X-API-Key: {headers['X-API-Key']}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode()
        client = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        idle_cpu = cpu_seconds(pid)
        client.sendall(request + body)
        # Leave once the server is busy reading (a second of its CPU spent on the upload).
        deadline = time.monotonic() + 60
        while cpu_seconds(pid) - idle_cpu < 1.0:
            assert time.monotonic() < deadline, "the server never started reading the upload"
            time.sleep(0.1)
        client.close()
        left_at = time.monotonic()

        # The reading stops: counted, logged, and the process goes quiet.
        while abandoned_uploads(server.url) < 1:
            assert time.monotonic() - left_at < 20, "the server kept reading after its client left"
            time.sleep(0.2)
        counted_after_s = time.monotonic() - left_at
        busy_cpu_s = cpu_seconds(pid) - idle_cpu
        quiet = False
        while time.monotonic() - left_at < 30 and not quiet:
            before = cpu_seconds(pid)
            time.sleep(2.0)
            quiet = cpu_seconds(pid) - before < 0.3
        assert quiet, "the server's CPU time kept growing after its client left"
        figures = {"workbook_bytes": len(workbook), "counted_after_s": round(counted_after_s, 2)}
        figures |= {"server_cpu_until_counted_s": round(busy_cpu_s, 2), "left_after_cpu_s": 1.0}
        print("DISCONNECT FIGURES", json.dumps(figures))
        assert abandoned_uploads(server.url) == 1
        listed = httpx.get(f"{server.url}/scenarios", headers=headers, timeout=10)
        assert listed.status_code == 200 and listed.json()["total"] == 0, listed.text
    finally:
        server.stop()
    log = (tmp_path / "server.log").read_text()
    assert "upload abandoned: the client disconnected" in log, log[-3000:]

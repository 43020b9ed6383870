"""Structured JSON logs, each line carrying the request id of the request it belongs to."""

from __future__ import annotations

import json
import logging
import re
import sys
from contextvars import ContextVar
from datetime import UTC, datetime

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

_STANDARD_ATTRIBUTES = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "taskName",
    # uvicorn's copy of some messages with terminal colours ("Started server process [\x1b[36m%d\x1b[0m]"):
    # the plain `message` says the same.
    "color_message",
}
# A terminal's escape sequences (colours, cursor moves): never written into a JSON line.
_ANSI_ESCAPE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|[@-Z\\-_])")


def _plain(value: object) -> object:
    return _ANSI_ESCAPE.sub("", value) if isinstance(value, str) else value


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id and any extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": _plain(record.getMessage()),
        }
        request_id = request_id_var.get()
        if request_id is not None:
            entry["request_id"] = request_id
        entry.update((key, _plain(value)) for key, value in record.__dict__.items() if key not in _STANDARD_ATTRIBUTES)
        if record.exc_info:
            entry["exception"] = _plain(self.formatException(record.exc_info))
        return json.dumps(entry, default=str)


def configure_logging(level: str) -> None:
    """Send every log record, uvicorn's included, to stderr as JSON."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # Requests are logged once, with their id, by the request-context middleware.
    logging.getLogger("uvicorn.access").disabled = True


# The same JSON lines for an ASGI server's own process. `uvicorn --workers N` runs a supervisor
# that never calls create_app, so without this its lines ("Started parent process") are plain
# text among the workers' JSON: `python -m api.logs > log-config.json`, then
# `uvicorn api.main:create_app --factory --workers N --log-config log-config.json` (docs/api.md).
LOG_CONFIG: dict[str, object] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "api.logs.JsonFormatter"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
    "root": {"handlers": ["stderr"], "level": "INFO"},
    "loggers": {name: {"handlers": [], "propagate": True} for name in ("uvicorn", "uvicorn.error", "uvicorn.access")},
}

if __name__ == "__main__":
    print(json.dumps(LOG_CONFIG, indent=2))

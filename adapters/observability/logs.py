"""Log lines: one JSON object per line (or one line of text), correlation id on
each, personal data kept out.

``configure_logging(settings)`` is called once by each entry point that runs a
process (``adapters.cli.main``: every command, ``spotlight serve`` through
uvicorn's ``log_config``, ``spotlight projections run``); nothing is configured at
import time. uvicorn's loggers (``uvicorn.error``, and ``uvicorn.access`` when
``SPOTLIGHT_ACCESS_LOG`` is on) go through the same handler and formatter.

A JSON line holds ``timestamp`` (UTC, ISO 8601, milliseconds), ``level``,
``logger``, ``message``, ``correlation_id`` (null outside a request or an event's
handling) and the record's extra fields (``logger.info("…", extra={...})``); an
exception adds ``error`` (its type), ``where`` (file:line) and ``traceback`` (the
frames and the type), never its message, which may quote data.

No personal data: log calls name ids, types and counts, never values a person gave
(audited when this was written; ADR 019). As a backstop the formatter masks
anything shaped like an email address, a phone number or a JWT in the message and
every string field (``redact``).
"""

from __future__ import annotations

import json
import logging
import logging.config
import re
import sys
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from adapters.settings import Settings
from ports.correlation import current_correlation_id

LogFormat = Literal["json", "text"]

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*")
# International numbers (+ then 7 to 15 digits, spaced or not) and the North
# American 3-3-4 shape; ids (UUIDs, positions) and timestamps do not match.
_PHONE = re.compile(
    r"(?<![\w+])\+\d(?:[\s().\-]?\d){6,14}(?!\w)"
    r"|(?<![\w\-.:])\(?\d{3}\)?[\s.\-]\d{3}[\s.\-]\d{4}(?![\w\-:])"
)


def redact(text: str) -> str:
    """``text`` with email addresses, JWTs and phone numbers masked."""
    if "@" in text:
        text = _EMAIL.sub("[email]", text)
    if "eyJ" in text:
        text = _JWT.sub("[token]", text)
    return _PHONE.sub("[phone]", text)


# The attributes every LogRecord has; anything else came as ``extra`` (but
# uvicorn's ``color_message``, its message again with terminal colours).
_STANDARD = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys()
    | {"message", "asctime", "taskName", "correlation_id", "color_message"}
)


def _correlation(record: logging.LogRecord) -> str | None:
    explicit = record.__dict__.get("correlation_id")
    if isinstance(explicit, str) and explicit:
        return explicit
    return current_correlation_id()


def _safe(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, bool | int | float) or value is None:
        return value
    if isinstance(value, list | tuple):
        return [_safe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _safe(v) for k, v in value.items()}
    return redact(str(value))


def innermost_frame(error: BaseException) -> str:
    """The innermost frame of ``error``'s traceback, as ``file:line``."""
    frame = error.__traceback__
    if frame is None:
        return "?"
    while frame.tb_next is not None:
        frame = frame.tb_next
    path = Path(frame.tb_frame.f_code.co_filename)
    return f"{'/'.join(path.parts[-2:])}:{frame.tb_lineno}"


ACCESS_LOGGER = "uvicorn.access"


def _access(record: logging.LogRecord) -> tuple[str, dict[str, Any]] | None:
    """uvicorn's access line without the client's address (personal data) or the
    query string (may hold search text): method, route path and status."""
    args = record.args
    if record.name != ACCESS_LOGGER or not isinstance(args, tuple) or len(args) < 5:
        return None
    _client, method, full_path, _version, status = args[:5]
    path = str(full_path).split("?", 1)[0]
    fields = {"method": str(method), "path": path, "status": status}
    return f"{method} {path} {status}", fields


def _traceback(error: BaseException) -> str:
    """Python's traceback without the exception's message (it may quote data)."""
    frames = "".join(traceback.format_tb(error.__traceback__))
    return f"Traceback (most recent call last):\n{frames}{type(error).__name__}"


def _message(record: logging.LogRecord) -> str:
    try:
        return record.getMessage()
    except Exception:  # noqa: BLE001 - a bad format string must not lose the line
        return str(record.msg)


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(_message(record)),
            "correlation_id": _correlation(record),
        }
        access = _access(record)
        if access is not None:
            line["message"] = redact(access[0])
            line.update(_safe(access[1]))
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                line.setdefault(key, _safe(value))
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            line["error"] = type(error).__name__
            line["where"] = innermost_frame(error)
            line["traceback"] = redact(_traceback(error))
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``time level logger [correlation] message key=value…`` for a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created, UTC).strftime("%H:%M:%S")
        extras = " ".join(
            f"{key}={_safe(value)}"
            for key, value in record.__dict__.items()
            if key not in _STANDARD and not key.startswith("_")
        )
        correlation = _correlation(record) or "-"
        access = _access(record)
        message = access[0] if access is not None else _message(record)
        text = (
            f"{when} {record.levelname:<7} {record.name} [{correlation}] "
            f"{redact(message)}"
        )
        if extras:
            text = f"{text} {extras}"
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            text = f"{text}\n{redact(_traceback(error))}"
        return text


FORMATTERS: dict[LogFormat, type[logging.Formatter]] = {
    "json": JsonFormatter,
    "text": TextFormatter,
}


def log_format_of(settings: Settings, default: LogFormat) -> LogFormat:
    """The format chosen by ``SPOTLIGHT_LOG_FORMAT``, else ``default``."""
    return settings.log_format or default


def logging_config(
    settings: Settings, *, default_format: LogFormat, access_log: bool = True
) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` mapping: one handler on stderr with the
    chosen formatter at the root; uvicorn's loggers hand their records to it."""
    formatter = FORMATTERS[log_format_of(settings, default_format)]
    name = f"{formatter.__module__}.{formatter.__qualname__}"
    uvicorn = {"handlers": [], "propagate": True}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"spotlight": {"()": name}},
        "handlers": {
            "stderr": {
                "class": f"{StderrHandler.__module__}.{StderrHandler.__qualname__}",
                "formatter": "spotlight",
            }
        },
        "root": {"handlers": ["stderr"], "level": settings.log_level},
        "loggers": {
            "uvicorn": {**uvicorn, "level": settings.log_level},
            "uvicorn.error": {**uvicorn},
            "uvicorn.access": {
                **uvicorn,
                "level": "INFO" if access_log else "WARNING",
            },
        },
    }


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to ``sys.stderr`` as it is when a record comes (a CLI test runner
    swaps it), not as it was when logging was configured."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        return


def configure_logging(settings: Settings, *, default_format: LogFormat) -> None:
    """Send every log record through one formatted handler (again: the last call
    chooses the format). A process whose logging someone else set up (a test
    runner, a program calling the CLI) keeps theirs."""
    if any(not isinstance(h, StderrHandler) for h in logging.getLogger().handlers):
        return
    logging.config.dictConfig(
        logging_config(
            settings, default_format=default_format, access_log=settings.access_log
        )
    )

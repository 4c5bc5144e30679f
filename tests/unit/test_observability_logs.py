"""Log lines: one JSON object each, the correlation id of the work in hand, and
personal data masked by the formatter as a backstop."""

from __future__ import annotations

import json
import logging

import pytest

from adapters.observability.logs import (
    JsonFormatter,
    StderrHandler,
    TextFormatter,
    configure_logging,
    logging_config,
    redact,
)
from adapters.settings import Settings
from ports.correlation import correlated

JWT = (
    "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLWJ5dGVz"
)


def record(
    message: str,
    *args: object,
    name: str = "spotlight.test",
    extra: dict[str, object] | None = None,
) -> logging.LogRecord:
    made = logging.LogRecord(name, logging.INFO, __file__, 1, message, args, None)
    for key, value in (extra or {}).items():
        setattr(made, key, value)
    return made


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail ada.lovelace+x@example.org now", "mail [email] now"),
        (f"Bearer {JWT}", "Bearer [token]"),
        ("call +44 20 7946 0958 today", "call [phone] today"),
        ("call +14155550100", "call [phone]"),
        ("call (415) 555-0100 or 415.555.0100", "call [phone] or [phone]"),
    ],
)
def test_personal_data_shapes_are_masked(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "user 6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f at careers:1234567",
        "2026-12-05T18:38:11.123+00:00 lag 1500 events, 12.5 s",
        "GET /npos/123/offerings 200",
        "projection careers_mentors failed on event careers:42 (attempt 3)",
    ],
)
def test_ids_positions_and_times_are_kept(text: str) -> None:
    assert redact(text) == text


def test_a_json_line_has_the_fields_and_extras() -> None:
    with correlated("corr-7"):
        line = JsonFormatter().format(
            record("command %s: %s", "RegisterNpo", "ok", extra={"ms": 12})
        )
    parsed = json.loads(line)
    assert "\n" not in line
    assert parsed["level"] == "INFO"
    assert parsed["logger"] == "spotlight.test"
    assert parsed["message"] == "command RegisterNpo: ok"
    assert parsed["correlation_id"] == "corr-7"
    assert parsed["ms"] == 12
    assert parsed["timestamp"].endswith("+00:00")


def test_outside_any_work_the_correlation_is_null() -> None:
    assert json.loads(JsonFormatter().format(record("idle")))["correlation_id"] is None


def test_masks_apply_to_the_message_and_every_extra() -> None:
    line = JsonFormatter().format(
        record(
            "sent to %s",
            "grace@example.org",
            extra={
                "who": "grace@example.org",
                "token": JWT,
                "n": [f"+1 415 555 {0}100"],
            },
        )
    )
    assert "grace" not in line
    assert "eyJ" not in line
    assert "415" not in line


def test_an_exception_adds_its_type_and_place_not_its_message() -> None:
    try:
        raise ValueError("grace@example.org is taken")
    except ValueError:
        made = logging.LogRecord(
            "x",
            logging.ERROR,
            __file__,
            1,
            "failed",
            None,
            __import__("sys").exc_info(),
        )
    parsed = json.loads(JsonFormatter().format(made))
    assert parsed["error"] == "ValueError"
    assert parsed["where"].startswith("unit/test_observability_logs.py:")
    assert parsed["traceback"].startswith("Traceback (most recent call last):")
    assert parsed["traceback"].endswith("ValueError")
    assert "grace" not in json.dumps(parsed)


def test_uvicorn_access_lines_drop_the_client_and_the_query() -> None:
    access = record(
        '%s - "%s %s HTTP/%s" %d',
        "203.0.113.9:5123",
        "GET",
        "/offerings/search?q=grace+hopper",
        "1.1",
        200,
        name="uvicorn.access",
    )
    parsed = json.loads(JsonFormatter().format(access))
    assert parsed["message"] == "GET /offerings/search 200"
    assert (parsed["method"], parsed["path"], parsed["status"]) == (
        "GET",
        "/offerings/search",
        200,
    )
    text = TextFormatter().format(access)
    assert "203.0.113.9" not in text
    assert "grace" not in text


def test_text_lines_carry_the_correlation() -> None:
    with correlated("corr-8"):
        line = TextFormatter().format(record("hello", extra={"k": "v"}))
    assert "[corr-8] hello k=v" in line


def test_the_configuration_routes_uvicorn_through_the_chosen_formatter() -> None:
    served = logging_config(Settings(), default_format="json")
    assert served["formatters"]["spotlight"]["()"].endswith("JsonFormatter")
    assert served["loggers"]["uvicorn.access"]["propagate"] is True
    chosen = logging_config(Settings(log_format="text"), default_format="json")
    assert chosen["formatters"]["spotlight"]["()"].endswith("TextFormatter")
    quiet = logging_config(Settings(), default_format="json", access_log=False)
    assert quiet["loggers"]["uvicorn.access"]["level"] == "WARNING"


def test_a_process_whose_logging_is_set_up_keeps_it() -> None:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    kept = logging.NullHandler()
    root.addHandler(kept)
    try:
        configure_logging(Settings(), default_format="json")
        assert kept in root.handlers
        assert root.level == level
    finally:
        root.removeHandler(kept)
    assert root.handlers == handlers


def test_the_handler_writes_to_stderr_as_it_is_now(
    capsys: pytest.CaptureFixture[str],
) -> None:
    handler = StderrHandler()
    handler.setFormatter(TextFormatter())
    handler.emit(record("to whichever stderr"))
    assert "to whichever stderr" in capsys.readouterr().err


def test_the_last_call_chooses_the_format() -> None:
    root = logging.getLogger()
    saved, level = list(root.handlers), root.level
    for handler in saved:
        root.removeHandler(handler)
    try:
        configure_logging(Settings(), default_format="text")
        configure_logging(Settings(), default_format="json")
        (ours,) = root.handlers
        assert isinstance(ours, StderrHandler)
        assert isinstance(ours.formatter, JsonFormatter)
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved:
            root.addHandler(handler)
        root.setLevel(level)


def test_uvicorns_coloured_copy_of_the_message_is_left_out() -> None:
    line = JsonFormatter().format(
        record("Started server process [%d]", 42, extra={"color_message": "\x1b[36m"})
    )
    assert json.loads(line)["message"] == "Started server process [42]"
    assert "color_message" not in line

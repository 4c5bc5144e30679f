"""Telling an outage (retry later) from a failure a retry cannot fix."""

from __future__ import annotations

import sqlite3

import pytest
from eventsourcing.persistence import OperationalError as StoreOperationalError

from ports.errors import BackendUnavailableError, backend_of, is_outage


def raised_from(outer: Exception, cause: BaseException) -> Exception:
    try:
        raise outer from cause
    except Exception as error:  # noqa: BLE001 - the chained error is the point
        return error


@pytest.mark.parametrize(
    "error",
    [
        BackendUnavailableError("redis: Connection refused"),
        ConnectionRefusedError(111, "Connection refused"),
        TimeoutError("timed out"),
        StoreOperationalError("the connection is lost"),
        sqlite3.OperationalError("database is locked"),
        raised_from(RuntimeError("batch failed"), ConnectionResetError()),
    ],
)
def test_outages_are_recognised(error: BaseException) -> None:
    assert is_outage(error)


@pytest.mark.parametrize(
    "error",
    [
        KeyError("attribute"),
        ValueError("bad value"),
        sqlite3.IntegrityError("UNIQUE constraint failed"),
        RuntimeError("a bug"),
    ],
)
def test_failures_a_retry_cannot_fix_are_not_outages(error: BaseException) -> None:
    assert not is_outage(error)


def test_an_error_raised_while_handling_an_outage_is_not_one() -> None:
    def handle_an_outage_badly() -> None:
        try:
            raise ConnectionResetError
        except ConnectionResetError:
            raise KeyError("a bug in the handler")  # noqa: B904 - the point

    with pytest.raises(KeyError) as raised:
        handle_an_outage_badly()
    assert isinstance(raised.value.__context__, ConnectionResetError)
    assert not is_outage(raised.value)


def test_the_backend_is_named_by_the_message_or_explicitly() -> None:
    assert BackendUnavailableError("mongodb: no servers").backend == "mongodb"
    assert BackendUnavailableError("who knows").backend == "backend"
    named = BackendUnavailableError("timed out", backend="kafka")
    assert named.backend == "kafka"
    wrapped = raised_from(RuntimeError("x"), named)
    assert backend_of(wrapped) == "kafka"
    assert backend_of(ValueError("x"), default="postgres") == "postgres"

"""Which driver errors say a backend is out of reach (503, and its breaker opens),
and the timeouts that keep a request's wait on a backend that is down in bound."""

from __future__ import annotations

import botocore.exceptions
import psycopg
import psycopg.errors
import pymongo.errors
import pytest
import redis.exceptions
from eventsourcing.persistence import OperationalError as StoreOperationalError
from psycopg_pool import PoolTimeout, TooManyRequests

from adapters import backends
from adapters.mongo.documents import unreachable as mongo_unreachable
from adapters.postgres.database import (
    check_or_drain,
    connection_lost,
    eventsourcing_environment,
    no_connection,
)
from adapters.redis.cache import unreachable as redis_unreachable
from adapters.resilience import OUTAGE_ANSWER_BOUND_SECONDS
from adapters.s3.blobs import unreachable as s3_unreachable
from adapters.settings import Settings
from ports.errors import BackendUnavailableError


def raised_from(outer: Exception, cause: BaseException) -> Exception:
    try:
        raise outer from cause
    except Exception as error:  # noqa: BLE001 - the chained error is the point
        return error


@pytest.mark.parametrize(
    ("error", "lost", "opens"),
    [
        (psycopg.OperationalError("server closed the connection"), True, False),
        (psycopg.InterfaceError("the connection is closed"), True, False),
        (psycopg.errors.AdminShutdown("terminating connection"), True, False),
        (psycopg.errors.CannotConnectNow("the database is starting up"), True, False),
        (PoolTimeout("couldn't get a connection after 2.00 sec"), True, True),
        (
            raised_from(StoreOperationalError("lost"), PoolTimeout("2.00 sec")),
            True,
            True,
        ),
        (
            raised_from(StoreOperationalError("lost"), psycopg.OperationalError()),
            True,
            False,
        ),
        # The server answered: not an outage of it.
        (TooManyRequests("the pool has 50 requests waiting"), False, False),
        (psycopg.errors.QueryCanceled("statement timeout"), False, False),
        (psycopg.errors.LockNotAvailable("lock timeout"), False, False),
        (psycopg.errors.SerializationFailure("could not serialize"), False, False),
        (psycopg.errors.UniqueViolation("duplicate key"), False, False),
        (BackendUnavailableError("mongodb: down"), False, False),
    ],
)
def test_postgresql_lost_connections(error: Exception, lost: bool, opens: bool) -> None:
    assert connection_lost(error) is lost
    # Only a pool that could get no connection in time opens the breaker.
    assert no_connection(error) is opens


FERRETDB_CANNOT_REACH_POSTGRESQL = {
    "ok": 0.0,
    "errmsg": "[pool.go:129 pool.(*Pool).Get] failed to connect to `user=spotlight "
    "database=ferretdb`: dial error: dial tcp 127.0.0.1:1: connect: connection "
    "refused",
    "code": 1,
    "codeName": "InternalError",
}


@pytest.mark.parametrize(
    ("error", "down"),
    [
        (pymongo.errors.ServerSelectionTimeoutError("no servers"), True),
        (pymongo.errors.AutoReconnect("connection closed"), True),
        (pymongo.errors.NetworkTimeout("timed out"), True),
        (pymongo.errors.NotPrimaryError("not primary"), True),
        (pymongo.errors.OperationFailure("shutting down", code=91), True),
        (
            pymongo.errors.OperationFailure(
                "InternalError", code=1, details=FERRETDB_CANNOT_REACH_POSTGRESQL
            ),
            True,
        ),
        (
            pymongo.errors.OperationFailure(
                "InternalError", code=1, details={"errmsg": "a bug", "code": 1}
            ),
            False,
        ),
        (pymongo.errors.DuplicateKeyError("E11000", code=11000), False),
        (pymongo.errors.OperationFailure("bad query", code=2), False),
    ],
)
def test_mongodb_out_of_reach(error: Exception, down: bool) -> None:
    assert mongo_unreachable(error) is down


@pytest.mark.parametrize(
    ("error", "down"),
    [
        (redis.exceptions.ConnectionError("Connection refused"), True),
        (redis.exceptions.TimeoutError("Timeout connecting"), True),
        (redis.exceptions.BusyLoadingError("loading the dataset"), True),
        (redis.exceptions.ResponseError("WRONGTYPE"), False),
        (redis.exceptions.AuthenticationError("invalid password"), True),
    ],
)
def test_redis_out_of_reach(error: Exception, down: bool) -> None:
    assert redis_unreachable(error) is down


@pytest.mark.parametrize(
    ("error", "down"),
    [
        (botocore.exceptions.EndpointConnectionError(endpoint_url="http://s3"), True),
        (botocore.exceptions.ConnectTimeoutError(endpoint_url="http://s3"), True),
        (botocore.exceptions.ReadTimeoutError(endpoint_url="http://s3"), True),
        (botocore.exceptions.ConnectionClosedError(endpoint_url="http://s3"), True),
        (
            botocore.exceptions.ClientError(
                {"Error": {"Code": "NoSuchKey"}}, "GetObject"
            ),
            False,
        ),
    ],
)
def test_s3_out_of_reach(error: Exception, down: bool) -> None:
    assert s3_unreachable(error) is down


def test_the_default_timeouts_keep_the_bound() -> None:
    waits = backends.outage_answer_seconds(Settings())
    assert set(waits) == {"postgres", "mongodb", "redis", "s3"}
    for backend, seconds in waits.items():
        assert 0 < seconds <= OUTAGE_ANSWER_BOUND_SECONDS, backend


def test_the_event_store_waits_briefly_and_checks_its_connections() -> None:
    env = eventsourcing_environment(
        "postgresql://u:p@db:5432/spotlight", 5, 10, timeout_seconds=2, max_waiting=50
    )
    assert env["POSTGRES_CONNECT_TIMEOUT"] == "2"  # also its wait for the pool
    assert env["POSTGRES_MAX_WAITING"] == "50"
    assert env["POSTGRES_PRE_PING"] == "y"
    settings = Settings(postgres_url="postgresql://u:p@db:5432/spotlight")
    built = backends.event_store_environment(settings, ())
    assert built["POSTGRES_CONNECT_TIMEOUT"] == str(settings.postgres_timeout_seconds)


def test_a_breaker_cap_below_its_cool_down_is_refused() -> None:
    with pytest.raises(ValueError, match="MAX_COOLDOWN"):
        Settings(breaker_cooldown_seconds=3, breaker_max_cooldown_seconds=2)


class Pool:
    def __init__(self) -> None:
        self.drained = 0

    def drain(self) -> None:
        self.drained += 1


class Connection:
    def __init__(self, *, alive: bool) -> None:
        self.alive = alive
        self.autocommit = True

    def execute(self, query: str) -> None:
        if not self.alive:
            raise psycopg.OperationalError("the connection is lost")


def test_one_dead_connection_drains_the_pool() -> None:
    pool = Pool()
    check = check_or_drain(pool)  # type: ignore[arg-type]
    check(Connection(alive=True))
    assert pool.drained == 0
    with pytest.raises(psycopg.OperationalError):
        check(Connection(alive=False))
    assert pool.drained == 1

"""The one error every port raises when its backing service is out of reach, and
how to tell an outage (retry later) from a failure a retry cannot fix."""

from __future__ import annotations

from collections.abc import Iterator

# The backends a deployment may name; a message's prefix ("redis: …") names one.
KNOWN_BACKENDS = frozenset({"postgres", "redis", "mongodb", "kafka", "s3"})


class BackendUnavailableError(Exception):
    """A backing service could not be reached.

    ``backend`` names it (one of ``KNOWN_BACKENDS`` when known, else ``"backend"``):
    that name is what clients and probes are told. The message may quote the driver
    and, through it, data: it is never shown, and logged only as a type and backend.
    """

    def __init__(self, message: str, *, backend: str | None = None) -> None:
        super().__init__(message)
        prefix = message.split(":", 1)[0].strip()
        self.backend = backend or (prefix if prefix in KNOWN_BACKENDS else "backend")


# PEP 249 names every driver's "the database went away" errors alike (psycopg,
# sqlite3, and eventsourcing's wrappers of them); drivers stay adapters' business.
_DBAPI_OUTAGES = frozenset({"OperationalError", "InterfaceError"})


def causes(error: BaseException) -> Iterator[BaseException]:
    """``error``, then each error it was explicitly raised from (``raise … from
    …``, ``__cause__``): an unrelated error raised while handling another is not
    one of its causes."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__


def is_outage(error: BaseException) -> bool:
    """Whether ``error``, or an error it was explicitly raised from, says a backing
    service is out of reach: the same work can succeed once it is back.

    Follows ``__cause__`` only (``raise … from …``): an unrelated error raised
    while handling an outage is not an outage.
    """
    for cause in causes(error):
        if isinstance(cause, BackendUnavailableError | ConnectionError | TimeoutError):
            return True
        if any(kind.__name__ in _DBAPI_OUTAGES for kind in type(cause).__mro__):
            return True
    return False


def backend_of(error: BaseException, default: str = "backend") -> str:
    """The backend an outage names (the first ``BackendUnavailableError`` in its
    causes), else ``default`` (e.g. the event store's database)."""
    for cause in causes(error):
        if isinstance(cause, BackendUnavailableError):
            return cause.backend
    return default

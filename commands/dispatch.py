"""The one way a command reaches its handler, from HTTP, inbound messages or the CLI.

Each context declares a ``HandlerTable``: its application type and one handler per
command message. The composition root gives the ``Dispatcher`` every table with the
application it built; ``dispatch(command)`` finds the handler by the message's type
and calls it with that application. Anything that must follow a command (revoking
tokens, say) is done by its handler, so every entry point gets it.

Every command passes here, so here it is counted: ``observe`` (given by the
composition root; ``adapters.observability.metrics``) hears each message type's
name, its ``outcome_of`` and how long it took.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from pydantic import ValidationError

from commands.base import Command, ResultT, SpotlightApplication
from domain.base import (
    ConflictError,
    DomainError,
    GoneError,
    InvalidFieldError,
    NotAllowedError,
    NotFoundError,
    UnavailableError,
)
from ports.errors import is_outage

AppT = TypeVar("AppT", bound=SpotlightApplication)

# A handler takes the context's application and one message type of that context.
Handler = Callable[[AppT, Any], Any]


@dataclass(frozen=True)
class HandlerTable(Generic[AppT]):
    """A context's handlers: exactly one per command message."""

    application: type[AppT]
    handlers: Mapping[type[Command[Any]], Handler[AppT]]


class UnknownCommandError(LookupError):
    """No context here handles this message type (a wiring mistake, not input)."""


# A command's message type name, its outcome and its seconds.
ObserveCommand = Callable[[str, str, float], None]

OK = "ok"
# The first matching row decides, so subclasses come before their bases.
_OUTCOME_OF_REFUSAL: tuple[tuple[type[DomainError], str], ...] = (
    (GoneError, "gone"),
    (NotFoundError, "not_found"),
    (NotAllowedError, "not_allowed"),
    (InvalidFieldError, "invalid"),
    (UnavailableError, "unavailable"),
    (ConflictError, "conflict"),
)


def outcome_of(error: BaseException | None) -> str:
    """How a command ended: ``ok``; a refusal (``not_found``, ``gone``,
    ``not_allowed``, ``invalid``, ``conflict``, ``refused`` for any other rule);
    ``unavailable`` (a backend out of reach); ``error`` (anything else)."""
    if error is None:
        return OK
    if isinstance(error, DomainError):
        for kind, outcome in _OUTCOME_OF_REFUSAL:
            if isinstance(error, kind):
                return outcome
        return "refused"
    if isinstance(error, ValidationError):
        return "invalid"
    if is_outage(error):
        return "unavailable"
    return "error"


class Dispatcher:
    def __init__(
        self,
        applications: Mapping[str, SpotlightApplication],
        tables: Iterable[HandlerTable[Any]],
        *,
        observe: ObserveCommand | None = None,
    ) -> None:
        self._observe = observe
        self._routes: dict[type[Command[Any]], tuple[SpotlightApplication, Any]] = {}
        for table in tables:
            app = applications.get(table.application.name)
            if app is None:
                continue  # the context does not run in this process
            for message_type, handler in table.handlers.items():
                if message_type in self._routes:
                    raise ValueError(f"{message_type.__name__} has two handlers")
                self._routes[message_type] = (app, handler)

    def dispatch(self, command: Command[ResultT]) -> ResultT:
        try:
            app, handler = self._routes[type(command)]
        except KeyError:
            raise UnknownCommandError(type(command).__name__) from None
        if self._observe is None:
            return cast(ResultT, handler(app, command))
        started = time.perf_counter()
        try:
            result = handler(app, command)
        except Exception as error:
            self._observe(
                type(command).__name__,
                outcome_of(error),
                time.perf_counter() - started,
            )
            raise
        self._observe(type(command).__name__, OK, time.perf_counter() - started)
        return cast(ResultT, result)

    def handles(self, message_type: type[Command[Any]]) -> bool:
        return message_type in self._routes

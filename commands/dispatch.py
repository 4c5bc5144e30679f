"""The one way a command reaches its handler, from HTTP, inbound messages or the CLI.

Each context declares a ``HandlerTable``: its application type and one handler per
command message. The composition root gives the ``Dispatcher`` every table with the
application it built; ``dispatch(command)`` finds the handler by the message's type
and calls it with that application. Anything that must follow a command (revoking
tokens, say) is done by its handler, so every entry point gets it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from commands.base import Command, ResultT, SpotlightApplication

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


class Dispatcher:
    def __init__(
        self,
        applications: Mapping[str, SpotlightApplication],
        tables: Iterable[HandlerTable[Any]],
    ) -> None:
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
        return cast(ResultT, handler(app, command))

    def handles(self, message_type: type[Command[Any]]) -> bool:
        return message_type in self._routes

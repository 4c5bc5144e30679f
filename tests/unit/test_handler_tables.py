"""Every command message has exactly one handler, and the dispatcher finds it."""

from __future__ import annotations

import importlib
import inspect
import typing
from typing import Any

import pytest

from adapters.bootstrap import HANDLER_TABLES
from commands.base import (
    Actor,
    Command,
    CommandResult,
    ConcurrencyConflictError,
    SpotlightApplication,
)
from commands.dispatch import (
    Dispatcher,
    HandlerTable,
    UnknownCommandError,
    outcome_of,
)
from domain.base import (
    DomainError,
    GoneError,
    InvalidFieldError,
    NotAllowedError,
    NotFoundError,
)
from ports.errors import BackendUnavailableError


def _messages_of(table: HandlerTable[Any]) -> set[type[Command[Any]]]:
    """The command messages a context declares in its ``messages.py``."""
    package = table.application.__module__.rsplit(".", 1)[0]
    module = importlib.import_module(f"{package}.messages")
    return {
        kind
        for kind in vars(module).values()
        if inspect.isclass(kind)
        and issubclass(kind, Command)
        and kind.__module__ == module.__name__
        # not ``Command[Result]`` itself, which pydantic makes where it is named
        and kind.__pydantic_generic_metadata__["origin"] is None
    }


@pytest.mark.parametrize(
    "table", HANDLER_TABLES, ids=[t.application.name for t in HANDLER_TABLES]
)
def test_each_message_of_a_context_has_its_one_handler(
    table: HandlerTable[Any],
) -> None:
    # Check the table covers the context's messages, and nothing else.
    assert set(table.handlers) == _messages_of(table)
    for message_type, handler in table.handlers.items():
        hints = typing.get_type_hints(handler)
        parameters = list(inspect.signature(handler).parameters)
        # Check each handler takes the context's application and that message.
        assert hints[parameters[0]] is table.application, handler.__name__
        assert hints[parameters[1]] is message_type, handler.__name__


def test_every_context_is_composed() -> None:
    names = [table.application.name for table in HANDLER_TABLES]
    assert sorted(names) == ["careers", "identity", "onboarding", "scheduling"]


class Ping(Command[CommandResult]):
    text: str


class Unhandled(Command[CommandResult]):
    pass


class Echo(SpotlightApplication):
    name = "echo"


def _ping(app: Echo, command: Ping) -> CommandResult:
    return CommandResult(ids=(command.text,), source=app.name, position=None)


def test_dispatch_calls_the_handler_with_its_contexts_application() -> None:
    echo = Echo(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    dispatcher = Dispatcher({"echo": echo}, [HandlerTable(Echo, {Ping: _ping})])

    result = dispatcher.dispatch(Ping(actor=Actor.system("c-1"), text="hello"))

    assert result == CommandResult(ids=("hello",), source="echo", position=None)
    with pytest.raises(UnknownCommandError):
        dispatcher.dispatch(Unhandled(actor=Actor.system()))


def test_a_context_not_running_here_is_not_dispatched_to() -> None:
    dispatcher = Dispatcher({}, [HandlerTable(Echo, {Ping: _ping})])

    assert not dispatcher.handles(Ping)


def test_a_message_with_two_handlers_is_refused_at_composition() -> None:
    echo = Echo(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    table = HandlerTable(Echo, {Ping: _ping})

    with pytest.raises(ValueError, match="Ping has two handlers"):
        Dispatcher({"echo": echo}, [table, table])


def _refuse(app: Echo, command: Ping) -> CommandResult:
    refusals: dict[str, Exception] = {
        "gone": GoneError("erased"),
        "missing": NotFoundError("no such"),
        "role": NotAllowedError("no"),
        "field": InvalidFieldError("name", "too long"),
        "stale": ConcurrencyConflictError("again"),
        "rule": DomainError("not now"),
        "down": BackendUnavailableError("postgres: gone"),
        "bug": KeyError("x"),
    }
    if command.text in refusals:
        raise refusals[command.text]
    return _ping(app, command)


def test_every_command_is_observed_with_its_outcome() -> None:
    echo = Echo(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    seen: list[tuple[str, str]] = []
    dispatcher = Dispatcher(
        {"echo": echo},
        [HandlerTable(Echo, {Ping: _refuse})],
        observe=lambda command, outcome, _seconds: seen.append((command, outcome)),
    )
    texts = ["ok", "gone", "missing", "role", "field", "stale", "rule", "down", "bug"]
    for text in texts:
        try:
            dispatcher.dispatch(Ping(actor=Actor.system(), text=text))
        except Exception:  # noqa: BLE001, S112 - refusals still reach the caller
            continue
    assert seen == [
        ("Ping", outcome)
        for outcome in (
            "ok",
            "gone",
            "not_found",
            "not_allowed",
            "invalid",
            "conflict",
            "refused",
            "unavailable",
            "error",
        )
    ]


def test_a_refusal_still_reaches_the_caller_when_observed() -> None:
    echo = Echo(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    dispatcher = Dispatcher(
        {"echo": echo},
        [HandlerTable(Echo, {Ping: _refuse})],
        observe=lambda *_: None,
    )
    with pytest.raises(NotAllowedError):
        dispatcher.dispatch(Ping(actor=Actor.system(), text="role"))
    assert outcome_of(None) == "ok"

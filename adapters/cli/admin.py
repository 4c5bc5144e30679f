"""``spotlight admin …``: what only the operator of the service does.

Commands go through the container's dispatcher, acted by the system
(``Actor.system``), so they do what the same command does from any other door
(disabling or erasing a user revokes their refresh tokens, for one).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar
from uuid import UUID

import typer

from adapters.bootstrap import Container, build_container
from adapters.settings import Settings
from commands.base import Actor, CommandResult
from commands.identity.messages import BootstrapAdmin, DisableUser, EraseUser
from domain.base import DomainError, InvalidFieldError
from domain.text import EMAIL, LONG_TEXT

admin_cli = typer.Typer(help="Operator tasks: admins, users, signing keys.")

T = TypeVar("T")


def _run(task: Callable[[Container], T]) -> T:
    """Run ``task`` on a container built from the environment; refusals exit 1."""
    container = build_container(Settings())
    try:
        return task(container)
    except DomainError as error:
        typer.echo(f"refused: {error}", err=True)
        raise typer.Exit(1) from None
    finally:
        container.close()


def _user_id(value: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise typer.BadParameter("not a user id", param_hint="USER_ID") from None


@admin_cli.command("bootstrap")
def bootstrap(
    email: str = typer.Argument(..., help="The first admin's email."),
) -> None:
    """Make the user with EMAIL an admin, creating the account if it does not exist.

    The first sign-in with a provider that verified EMAIL signs in as that admin.
    """
    if not EMAIL.matches(email):
        raise typer.BadParameter("not an email address", param_hint="EMAIL")
    command = BootstrapAdmin(actor=Actor.system(), email=email)
    outcome = _run(lambda container: container.dispatcher.dispatch(command))
    messages = {
        "created": "created an admin account; it is linked at the first sign-in",
        "granted": "granted ADMIN to the existing account",
        "unchanged": "already an admin",
    }
    typer.echo(f"{outcome.user_id}: {messages[outcome.action]}")


@admin_cli.command("disable-user")
def disable_user(
    user_id: str = typer.Argument(..., help="The user's id."),
    reason: str = typer.Option(..., "--reason", help="Why (kept with the account)."),
) -> None:
    """Disable the account USER_ID; its refresh tokens are revoked."""
    try:
        LONG_TEXT.required(reason, "reason")  # refused before anything is loaded
    except InvalidFieldError as error:
        raise typer.BadParameter(error.reason, param_hint="--reason") from None
    command = DisableUser(
        actor=Actor.system(), user_id=_user_id(user_id), reason=reason
    )
    result: CommandResult = _run(
        lambda container: container.dispatcher.dispatch(command)
    )
    typer.echo(f"{user_id}: disabled ({_position(result)})")


@admin_cli.command("erase-user")
def erase_user(
    user_id: str = typer.Argument(..., help="The user's id."),
) -> None:
    """Erase the account USER_ID and its personal data (irreversible); its refresh
    tokens are revoked."""
    command = EraseUser(actor=Actor.system(), user_id=_user_id(user_id))
    result: CommandResult = _run(
        lambda container: container.dispatcher.dispatch(command)
    )
    typer.echo(f"{user_id}: erased ({_position(result)})")


def _position(result: CommandResult) -> str:
    token = result.consistency_token
    return f"recorded at {token}" if token else "nothing new to record"


@admin_cli.command("rotate-signing-key")
def rotate_signing_key() -> None:
    """Sign new access tokens with a new key; tokens signed before stay valid."""
    key = _run(lambda container: container.identity.signing_keys.rotate())
    typer.echo(f"now signing with key {key.kid}")

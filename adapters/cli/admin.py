"""``spotlight admin …``: what only the operator of the service does."""

from __future__ import annotations

import re

import typer

from adapters.bootstrap import build_container
from adapters.settings import Settings
from commands.base import new_correlation_id
from commands.identity import BootstrapAdmin, IdentityApplication
from domain.base import SYSTEM_ACTOR, DomainError

admin_cli = typer.Typer(help="Operator tasks: the first admin, signing keys.")

_EMAIL_SHAPE = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


@admin_cli.command("bootstrap")
def bootstrap(
    email: str = typer.Argument(..., help="The first admin's email."),
) -> None:
    """Make the user with EMAIL an admin, creating the account if it does not exist.

    The first sign-in with a provider that verified EMAIL signs in as that admin.
    """
    if not re.match(_EMAIL_SHAPE, email):
        raise typer.BadParameter("not an email address", param_hint="EMAIL")
    container = build_container(Settings())
    try:
        app = container.application(IdentityApplication)
        outcome = app.bootstrap_admin(
            BootstrapAdmin(
                actor_id=SYSTEM_ACTOR,
                correlation_id=new_correlation_id(),
                email=email,
            )
        )
    except DomainError as error:
        typer.echo(f"refused: {error}", err=True)
        raise typer.Exit(1) from None
    finally:
        container.close()
    messages = {
        "created": "created an admin account; it is linked at the first sign-in",
        "granted": "granted ADMIN to the existing account",
        "unchanged": "already an admin",
    }
    typer.echo(f"{outcome.user_id}: {messages[outcome.action]}")


@admin_cli.command("rotate-signing-key")
def rotate_signing_key() -> None:
    """Sign new access tokens with a new key; tokens signed before stay valid."""
    container = build_container(Settings())
    try:
        key = container.identity.signing_keys.rotate()
    finally:
        container.close()
    typer.echo(f"now signing with key {key.kid}")

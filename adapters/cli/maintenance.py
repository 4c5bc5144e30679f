"""``spotlight maintenance …``: keeping bookkeeping tables from growing for ever,
and one-off upkeep after an upgrade (claiming the NPOs' registration ids)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import typer

from adapters.bootstrap import build_container
from adapters.kafka.dedup import prune_processed_messages
from adapters.settings import Settings
from commands.base import Actor
from commands.onboarding.messages import ClaimRegistrationIds

maintenance_cli = typer.Typer(help="Routine upkeep of the service's own tables.")


@maintenance_cli.command("prune")
def prune(
    processed_older_than_days: float = typer.Option(
        7.0,
        min=0.0,
        help="Forget deduplication records of inbound messages older than this; "
        "keep it beyond the Kafka topics' retention.",
    ),
) -> None:
    """Delete expired refresh tokens, records of exchanged ID tokens that expired,
    and old inbound-message deduplication records."""
    container = build_container(Settings())
    try:
        tokens = container.identity.refresh_tokens.prune_expired()
        id_tokens = container.identity.spent_id_tokens.prune_expired()
        cutoff = datetime.now(UTC) - timedelta(days=processed_older_than_days)
        messages = prune_processed_messages(container.views, cutoff)
    finally:
        container.close()
    typer.echo(f"expired refresh tokens deleted: {tokens}")
    typer.echo(f"expired records of exchanged ID tokens deleted: {id_tokens}")
    typer.echo(f"processed-message records deleted: {messages}")


@maintenance_cli.command("claim-registration-ids")
def claim_registration_ids() -> None:
    """Once after upgrading: every live NPO recorded before registration ids were
    claimed claims its own, oldest first; running it again changes nothing.

    Lists the NPOs whose registration id an older live NPO holds: they keep working
    with it, unclaimed, until they change it or that NPO is deleted.
    """
    container = build_container(Settings())
    try:
        outcome = container.dispatcher.dispatch(
            ClaimRegistrationIds(actor=Actor.system())
        )
    finally:
        container.close()
    typer.echo(f"registration ids claimed now: {outcome.claimed}")
    typer.echo(f"already claimed: {outcome.held}")
    typer.echo(f"NPOs whose id another NPO holds: {len(outcome.duplicates)}")
    for npo_id in outcome.duplicates:
        typer.echo(f"  duplicate: {npo_id}")
    typer.echo(f"NPOs whose id has no letter or digit: {len(outcome.unclaimable)}")
    for npo_id in outcome.unclaimable:
        typer.echo(f"  unclaimable: {npo_id}")

"""Onboarding over HTTP: the composed app, signed-in users of each role, waiting on
the asynchronous offering flow."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from adapters.bootstrap import Container, build_container
from adapters.http.app import create_app
from adapters.kafka.inbound import InboundStats
from adapters.postgres.database import temporary_database
from adapters.s3.blobs import S3BlobStore
from adapters.settings import Settings
from commands.base import Actor
from commands.identity.messages import BootstrapAdmin
from commands.onboarding.application import OnboardingApplication
from commands.onboarding.inbound import OFFERING_FLOW_CONSUMER
from tests.support.identity import SignedIn, sign_in
from tests.support.onboarding import offering, profile


@dataclass
class OnboardingClient:
    client: TestClient
    container: Container
    admin: SignedIn

    @classmethod
    def start(cls, client: TestClient, container: Container, email: str) -> Any:
        container.dispatcher.dispatch(
            BootstrapAdmin(actor=Actor.system("test"), email=email)
        )
        return cls(client, container, sign_in(client, email))

    # -- users --------------------------------------------------------------------

    def user(self, *roles: str) -> SignedIn:
        return sign_in(self.client, roles=tuple(r for r in roles if r in SELF_SERVE))

    def leader(self) -> SignedIn:
        user = sign_in(self.client)
        granted = self.client.put(
            f"/users/{user.user_id}/roles/COMMUNITY_LEADER", headers=self.admin.headers
        )
        assert granted.status_code == 200, granted.text
        token = granted.json()["consistency_token"]
        seen = self.client.get(
            f"/users/{user.user_id}?after={token}", headers=self.admin.headers
        )
        assert "COMMUNITY_LEADER" in seen.json()["roles"], seen.text
        return user

    # -- onboarding -----------------------------------------------------------------

    def ok(self, response: Any, status: int = 200) -> Any:
        assert response.status_code == status, response.text
        return response.json()

    def community(self, by: SignedIn, tags: list[str], *leaders: SignedIn) -> str:
        created = self.ok(
            self.client.post(
                "/communities",
                json={"name": f"Community {tags}", "tags": tags},
                headers=by.headers,
            ),
            201,
        )
        community_id: str = created["ids"][0]
        for leader in leaders:
            self.ok(
                self.client.put(
                    f"/communities/{community_id}/leaders/{leader.user_id}",
                    headers=self.admin.headers,
                )
            )
        return community_id

    def npo(self, owner: SignedIn, **changes: Any) -> str:
        created = self.ok(
            self.client.post("/npos", json=profile(**changes), headers=owner.headers),
            201,
        )
        npo_id: str = created["ids"][0]
        # Read it back once, so later reads without a token see it.
        self.ok(
            self.client.get(
                f"/npos/{npo_id}?after={created['consistency_token']}",
                headers=owner.headers,
            )
        )
        return npo_id

    def offering(self, member: SignedIn, npo_id: str, **changes: Any) -> str:
        created = self.ok(
            self.client.post(
                f"/npos/{npo_id}/offerings",
                json=offering(**changes),
                headers=member.headers,
            ),
            201,
        )
        offering_id: str = created["ids"][0]
        return offering_id

    def wait_for_npo(
        self, npo_id: str, viewer: SignedIn, *, leader: bool = True, timeout: float = 30
    ) -> dict[str, Any]:
        """The NPO once the flow completed it (and assigned a leader, or queued it).

        Woken by the offering-flow consumer after each message it handles; each look
        reads the views at the onboarding log's head then (read-your-writes).
        """
        container: Container = self.client.app.state.container  # type: ignore[attr-defined]
        consumer = container.consumers[OFFERING_FLOW_CONSUMER]
        onboarding = container.application(OnboardingApplication)
        deadline = time.monotonic() + timeout
        while True:
            done = consumer.stats.done
            head = onboarding.recorder.max_notification_id() or 0
            body: dict[str, Any] = self.ok(
                self.client.get(
                    f"/npos/{npo_id}",
                    params={"after": f"onboarding:{head}"},
                    headers=viewer.headers,
                )
            )
            settled = body["leader_id"] if leader else body["waiting_for_leader_in"]
            if body["registration_status"] == "COMPLETE" and settled:
                return body
            remaining = deadline - time.monotonic()
            assert remaining > 0, body
            consumer.wait_for(partial(_more_than, done), remaining)


def _more_than(seen: int, stats: InboundStats) -> bool:
    return stats.done > seen


SELF_SERVE = {"NPO", "CANDIDATE"}


def fresh_database(postgres_url: str) -> AbstractContextManager[str]:
    """A database of its own for one composed app, dropped afterwards."""
    return temporary_database(postgres_url, prefix="test")


@dataclass(frozen=True)
class RealServices:
    """Where the real servers are (the conftest fixtures' values)."""

    tmp_path: Path
    postgres_url: str
    mongo_url: str
    redis_url: str
    kafka_bootstrap: str
    s3_endpoint: str


@contextmanager
def app_on_real_services(
    services: RealServices, prefix: str, **changes: Any
) -> Iterator[tuple[TestClient, Container, str]]:
    """The composed app over every real server, in a database, MongoDB database,
    bucket and offering topic of its own (named ``prefix`` and a run id); yields the
    client, the container and the run id. ``changes``: other ``Settings`` fields."""
    run = uuid.uuid4().hex[:10]
    with fresh_database(services.postgres_url) as database_url:
        settings = Settings(
            data_dir=services.tmp_path,
            postgres_url=database_url,
            mongo_url=services.mongo_url,
            mongo_database=f"it_{prefix}_{run}",
            redis_url=services.redis_url,
            kafka_bootstrap=services.kafka_bootstrap,
            s3_endpoint=services.s3_endpoint,
            s3_bucket=f"it-{prefix}-{run}",
            onboarding_offerings_topic=f"it-{prefix}-offerings-{run}",
            **changes,
        )
        container = build_container(settings)
        assert isinstance(container.blobs, S3BlobStore)
        container.blobs.ensure_bucket()
        try:
            with TestClient(create_app(container=container)) as client:
                yield client, container, run
        finally:
            container.documents.drop("offerings_v1")
            container.close()

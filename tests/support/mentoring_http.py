"""Mentoring over HTTP: the composed app, an admin, mentors and candidates signed in
with real tokens, and waits on positions (never sleeps)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient

from adapters.bootstrap import Container
from commands.base import Actor
from commands.careers.application import CareersApplication
from commands.careers.process_manager import PROCESS_MANAGER
from commands.identity.messages import BootstrapAdmin
from tests.support.identity import SignedIn, sign_in
from tests.support.mentoring import assessment_body


@dataclass
class MentoringClient:
    client: TestClient
    container: Container
    admin: SignedIn

    @classmethod
    def start(cls, client: TestClient, container: Container, email: str) -> Any:
        container.dispatcher.dispatch(
            BootstrapAdmin(actor=Actor.system("test"), email=email)
        )
        return cls(client, container, sign_in(client, email))

    def ok(self, response: Any, status: int = 200) -> Any:
        assert response.status_code == status, response.text
        return response.json()

    # -- people -----------------------------------------------------------------------

    def grant(self, user: SignedIn, role: str) -> str:
        granted = self.ok(
            self.client.put(
                f"/users/{user.user_id}/roles/{role}", headers=self.admin.headers
            )
        )
        token: str = granted["consistency_token"]
        seen = self.ok(
            self.client.get(
                f"/users/{user.user_id}?after={token}", headers=self.admin.headers
            )
        )
        assert role in seen["roles"]
        return token

    def mentor(self, categories: list[str], **profile: Any) -> SignedIn:
        """A user an admin made CAREER_MENTOR, who saved a mentor profile."""
        user = sign_in(self.client)
        self.grant(user, "CAREER_MENTOR")
        self.ok(
            self.client.put(
                "/me/mentor-profile",
                json={"categories": categories, **profile},
                headers=user.headers,
            )
        )
        return user

    def candidate(self) -> SignedIn:
        return sign_in(self.client, roles=("CANDIDATE",))

    def complete(
        self,
        candidate: SignedIn,
        urgent: list[str],
        client: TestClient | None = None,
    ) -> str:
        """The candidate completes an assessment; the answer's consistency token."""
        accepted = self.ok(
            (client or self.client).post(
                "/me/assessments",
                json=assessment_body(urgent),
                headers=candidate.headers,
            ),
            201,
        )
        token: str = accepted["consistency_token"]
        return token

    # -- waiting ----------------------------------------------------------------------

    def careers_head(self) -> str:
        """A token for everything careers recorded so far."""
        app = self.container.application(CareersApplication)
        return f"careers:{app.recorder.max_notification_id() or 0}"

    def after_identity_reactions(self, token: str) -> str:
        """Wait until the careers process manager reacted to an identity write;
        then a token for what careers recorded by then."""
        source, _, position = token.partition(":")
        lag = self.container.engine.wait_for(
            source, int(position), [PROCESS_MANAGER], 10
        )
        assert lag == 0, f"the careers process manager lags by {lag}"
        return self.careers_head()

    def get(self, path: str, who: SignedIn, after: str | None = None) -> Any:
        params = {"after": after} if after else {}
        return self.ok(self.client.get(path, params=params, headers=who.headers))

    def every(self, path: str, after: str | None = None, limit: int = 50) -> list[Any]:
        """Every item of a paged admin list, page by page."""
        items: list[Any] = []
        params: dict[str, Any] = {"limit": limit}
        if after:
            params["after"] = after
        while True:
            page = self.ok(
                self.client.get(path, params=params, headers=self.admin.headers)
            )
            items.extend(page["items"])
            if page["next_cursor"] is None:
                return items
            params["cursor"] = page["next_cursor"]

"""The candidate story over HTTP: an admin, a mentor, an approved NPO with
offerings, and a candidate, on one composed app (embedded or real services).

Built from the onboarding and mentoring clients (``tests.support.onboarding_http``,
``tests.support.mentoring_http``); waits are on positions, never sleeps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient

from adapters.bootstrap import Container
from commands.scheduling.application import SchedulingApplication
from commands.scheduling.process_manager import PROCESS_MANAGER
from tests.support.identity import SignedIn
from tests.support.mentoring_http import MentoringClient
from tests.support.onboarding_http import OnboardingClient

RESUME_WRITING = {
    "title": "Resume writing",
    "summary": "One-to-one resume reviews",
    "categories": ["resume_writing"],
    "tags": ["resumes"],
    "location": {"region": "Bavaria", "country": "DE", "remote": True},
    "deadlines": [],
}
INTERVIEW_SUITS = {
    "title": "Interview suits",
    "summary": "A suit to keep for your interviews",
    "categories": ["business_attire"],
    "tags": ["suit"],
    "location": {"region": "Bavaria", "country": "DE", "address": "1 Main St"},
    "deadlines": [],
}
WORKDAYS = {
    "time_zone": "Europe/Berlin",
    "ranges": [{"weekday": d, "start": "08:00", "end": "18:00"} for d in range(5)],
}


@dataclass
class Story:
    onboarding: OnboardingClient
    mentoring: MentoringClient

    @classmethod
    def start(cls, client: TestClient, container: Container, email: str) -> Story:
        onboarding: OnboardingClient = OnboardingClient.start(client, container, email)
        return cls(onboarding, MentoringClient(client, container, onboarding.admin))

    @property
    def client(self) -> TestClient:
        return self.onboarding.client

    @property
    def container(self) -> Container:
        return self.onboarding.container

    @property
    def admin(self) -> SignedIn:
        return self.onboarding.admin

    def ok(self, response: Any, status: int = 200) -> Any:
        return self.onboarding.ok(response, status)

    def get(
        self, path: str, who: SignedIn, after: str | None = None, **params: Any
    ) -> Any:
        query = {**params, **({"after": after} if after else {})}
        return self.ok(self.client.get(path, params=query, headers=who.headers))

    def mentor(self, categories: list[str]) -> SignedIn:
        """A CAREER_MENTOR with a mentor profile and working hours."""
        mentor = self.mentoring.mentor(categories, languages=["en"])
        self.working_hours(mentor)
        return mentor

    def working_hours(self, user: SignedIn) -> None:
        """The user is available on weekdays, 08:00 to 18:00 in Berlin."""
        self.ok(
            self.client.put("/me/availability", json=WORKDAYS, headers=user.headers)
        )

    def recommendations(self, who: SignedIn, after: str | None = None) -> Any:
        return self.get("/me/recommendations", who, after)

    def takedown(self, offering_id: str) -> str:
        """The admin takes the offering down; the answer's consistency token."""
        taken = self.ok(
            self.client.post(
                f"/offerings/{offering_id}/takedown",
                json={"reason": "Out of date"},
                headers=self.admin.headers,
            )
        )
        token: str = taken["consistency_token"]
        return token

    def after_scheduling_reactions(self, token: str) -> str:
        """Wait until scheduling's process manager reacted to a careers write; then
        a token for what scheduling recorded by then."""
        source, _, position = token.partition(":")
        lag = self.container.engine.wait_for(
            source, int(position), [PROCESS_MANAGER], 30
        )
        assert lag == 0, f"the scheduling process manager lags by {lag}"
        app = self.container.application(SchedulingApplication)
        return f"scheduling:{app.recorder.max_notification_id() or 0}"

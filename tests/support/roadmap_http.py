"""The roadmap over HTTP: a candidate with their assigned mentor on the composed app,
the roadmap's writes, and the roadmap as the careers application holds it (the
writes' own answers, read back from the aggregate)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from commands.careers.application import CareersApplication
from domain.careers.roadmap import Roadmap
from tests.support.identity import SignedIn
from tests.support.mentoring_http import MentoringClient


def goal_body(
    title: str = "Write a CV",
    modules: tuple[str, ...] = ("Draft", "Review"),
    **more: Any,
) -> dict[str, Any]:
    return {
        "goal": {"title": title, "modules": [{"title": m} for m in modules]},
        **more,
    }


@dataclass
class Mentee:
    """A candidate and their assigned mentor, signed in."""

    world: MentoringClient
    candidate: SignedIn
    mentor: SignedIn

    @classmethod
    def assigned(cls, world: MentoringClient, mentor: SignedIn | None = None) -> Mentee:
        mentor = mentor or world.mentor(["resume_writing"])
        candidate = world.candidate()
        token = world.complete(candidate, ["resume_writing"])
        mentees = world.get("/me/mentees", mentor, token)
        assert candidate.user_id in [m["candidate_id"] for m in mentees]
        return cls(world, candidate, mentor)

    @property
    def base(self) -> str:
        return f"/candidates/{self.candidate.user_id}/roadmap"

    def call(self, method: str, path: str, who: SignedIn, body: Any = None) -> Any:
        return self.world.client.request(method, path, json=body, headers=who.headers)

    def request(self, body: dict[str, Any] | None = None) -> str:
        answer = self.world.ok(
            self.call("POST", "/me/roadmap/items", self.candidate, body or goal_body()),
            201,
        )
        item_id: str = answer["item_id"]
        return item_id

    def approve(self, item_id: str, position: int | None = None) -> Any:
        body = {} if position is None else {"position": position}
        return self.world.ok(
            self.call(
                "POST", f"{self.base}/items/{item_id}/approval", self.mentor, body
            )
        )

    def approved(self, body: dict[str, Any] | None = None) -> str:
        item_id = self.request(body)
        self.approve(item_id)
        return item_id

    def mark(
        self, item_id: str, module_id: str, who: SignedIn, done: bool = True
    ) -> Any:
        return self.world.ok(
            self.call(
                "PUT",
                f"{self.base}/items/{item_id}/modules/{module_id}",
                who,
                {"done": done},
            )
        )

    def roadmap(self) -> Roadmap:
        app = self.world.container.application(CareersApplication)
        found: object = app.repository.get(Roadmap.id_for(self.candidate.user_id))
        assert isinstance(found, Roadmap)
        return found

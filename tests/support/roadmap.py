"""A candidate with a mentor, and their roadmap, on the in-memory careers
application (``tests.support.mentoring.Careers``)."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import uuid4

from commands.base import Actor, CommandResult
from commands.careers.messages import (
    ApproveRoadmapItem,
    MarkModule,
    RequestRoadmapItem,
)
from domain.careers.roadmap import Roadmap
from domain.careers.roadmap_items import ItemSpec
from tests.support.mentoring import Careers, actor


def goal(
    title: str = "Write a CV",
    modules: Sequence[str] = ("Draft", "Review"),
    deadline: str | None = None,
) -> ItemSpec:
    return ItemSpec.goal(title, None, [{"title": m} for m in modules], deadline)


class MentoredCandidate:
    """A candidate assigned to a mentor (the only mentor in the pool, or
    ``mentor_id``'s, who must have room)."""

    def __init__(self, careers: Careers, mentor_id: str | None = None) -> None:
        self.careers = careers
        self.mentor_id = mentor_id or careers.mentor(("resume_writing",))
        self.candidate_id = careers.candidate(("resume_writing",))
        self.as_candidate: Actor = actor("CANDIDATE", user_id=self.candidate_id)
        self.as_mentor: Actor = actor("CAREER_MENTOR", user_id=self.mentor_id)

    def request(self, spec: ItemSpec | None = None, item_id: str | None = None) -> str:
        item_id = item_id or str(uuid4())
        self.careers.send(
            RequestRoadmapItem(
                actor=self.as_candidate,
                candidate_id=self.candidate_id,
                item_id=item_id,
                goal=spec or goal(),
            )
        )
        return item_id

    def approve(self, item_id: str, position: int | None = None) -> CommandResult:
        return self.careers.send(
            ApproveRoadmapItem(
                actor=self.as_mentor,
                candidate_id=self.candidate_id,
                item_id=item_id,
                position=position,
            )
        )

    def mark(self, item_id: str, module_id: str, done: bool = True) -> CommandResult:
        return self.careers.send(
            MarkModule(
                actor=self.as_candidate,
                candidate_id=self.candidate_id,
                item_id=item_id,
                module_id=module_id,
                done=done,
            )
        )

    def roadmap(self) -> Roadmap:
        found: object = self.careers.app.repository.get(
            Roadmap.id_for(self.candidate_id)
        )
        assert isinstance(found, Roadmap)
        return found

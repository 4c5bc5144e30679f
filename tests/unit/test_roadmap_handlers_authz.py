"""Who may send each roadmap message, through the dispatcher as every entry point
sends them: the candidate themselves, their assigned mentor, another mentor, an
admin, the platform, another candidate. The candidate's own decisions are theirs
alone; the mentor's decisions are the assigned mentor's (to another mentor the
candidate is not there: 404); either of them works through the items; only the
platform sends reminders. A refusal records nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

import pytest

from commands.base import Actor, Command, CommandResult
from commands.careers.messages import (
    AcceptSuggestedItem,
    ApproveRoadmapItem,
    CompleteRoadmapItem,
    DeclineRoadmapItem,
    DeclineSuggestedItem,
    GiveRoadmapFeedback,
    MarkModule,
    MoveDeadline,
    ReorderRoadmap,
    RequestRoadmapItem,
    SendRoadmapReminder,
    StartRoadmapItem,
    SuggestRoadmapItem,
    WithdrawRoadmapItem,
)
from domain.base import GoneError, NotAllowedError, NotFoundError
from domain.careers.badges import BadgeKind
from domain.careers.roadmap import Roadmap
from domain.careers.roadmap_items import ItemStatus
from tests.support.mentoring import Careers, actor
from tests.support.roadmap import MentoredCandidate, goal

ACTORS = ("candidate", "mentor", "other mentor", "admin", "system", "other candidate")


@dataclass
class World:
    """A mentored candidate with an item waiting, one suggested, one approved."""

    careers: Careers
    story: MentoredCandidate
    other_mentor_id: str

    @property
    def candidate_id(self) -> str:
        return self.story.candidate_id

    def actor(self, who: str) -> Actor:
        return {
            "candidate": lambda: self.story.as_candidate,
            "mentor": lambda: self.story.as_mentor,
            "other mentor": lambda: actor(
                "CAREER_MENTOR", user_id=self.other_mentor_id
            ),
            "admin": lambda: actor("ADMIN"),
            "system": lambda: Actor.system("reminders"),
            "other candidate": lambda: actor("CANDIDATE"),
        }[who]()

    def roadmap(self) -> Roadmap:
        return self.story.roadmap()

    def versions(self) -> tuple[int | None, int | None]:
        roadmap = self.roadmap()
        candidate = self.careers.get_candidate(self.candidate_id)
        return roadmap.version, candidate.version


@pytest.fixture
def world() -> Iterator[World]:
    careers = Careers()
    story = MentoredCandidate(careers)
    other = careers.mentor(("resume_writing",))
    assert careers.get_candidate(story.candidate_id).mentor_id == story.mentor_id
    story.request(goal(modules=("Draft", "Review"), deadline="2031-01-01"), "on")
    story.approve("on")
    story.request(item_id="waiting")
    careers.send(
        SuggestRoadmapItem(
            actor=story.as_mentor,
            candidate_id=story.candidate_id,
            item_id="suggested",
            goal=goal("Practise interviews"),
        )
    )
    yield World(careers, story, other)
    careers.close()


def completed(world: World) -> None:
    """Everything on the roadmap done (for feedback)."""
    world.careers.send(
        WithdrawRoadmapItem(
            actor=world.story.as_candidate,
            candidate_id=world.candidate_id,
            item_id="waiting",
        )
    )
    world.careers.send(
        DeclineSuggestedItem(
            actor=world.story.as_candidate,
            candidate_id=world.candidate_id,
            item_id="suggested",
        )
    )
    world.careers.send(
        CompleteRoadmapItem(
            actor=world.story.as_candidate,
            candidate_id=world.candidate_id,
            item_id="on",
        )
    )


def overdue_alert(world: World, sender: Actor) -> Command[CommandResult]:
    [alert] = [t for t in world.roadmap().due_timers() if t.subject == "waiting"]
    return SendRoadmapReminder(
        actor=sender,
        candidate_id=world.candidate_id,
        kind=alert.kind.value,
        subject=alert.subject,
        due_at=alert.due_at,
        now=alert.due_at + timedelta(minutes=1),
    )


@dataclass(frozen=True)
class Case:
    allowed: tuple[str, ...]  # who may; everyone else is refused
    message: Callable[[World, Actor], Command[CommandResult]]
    # What the allowed senders did, seen on the roadmap afterwards.
    done: Callable[[World], bool]
    prepare: Callable[[World], object] = lambda _: None


def status(world: World, item_id: str) -> ItemStatus | None:
    item = world.roadmap().items.get(item_id)
    return None if item is None else item.status


CANDIDATE_ONLY = ("candidate",)
MENTOR_ONLY = ("mentor",)
EITHER = ("candidate", "mentor")

CASES = {
    "request an item": Case(
        CANDIDATE_ONLY,
        lambda w, a: RequestRoadmapItem(
            actor=a, candidate_id=w.candidate_id, item_id="new", goal=goal()
        ),
        lambda w: status(w, "new") == ItemStatus.PENDING_APPROVAL,
    ),
    "suggest an item": Case(
        MENTOR_ONLY,
        lambda w, a: SuggestRoadmapItem(
            actor=a, candidate_id=w.candidate_id, item_id="new", goal=goal()
        ),
        lambda w: status(w, "new") == ItemStatus.SUGGESTED,
    ),
    "approve an item": Case(
        MENTOR_ONLY,
        lambda w, a: ApproveRoadmapItem(
            actor=a, candidate_id=w.candidate_id, item_id="waiting", position=0
        ),
        lambda w: [i.id for i in w.roadmap().on_roadmap] == ["waiting", "on"],
    ),
    "decline an item": Case(
        MENTOR_ONLY,
        lambda w, a: DeclineRoadmapItem(
            actor=a, candidate_id=w.candidate_id, item_id="waiting", reason="Later"
        ),
        lambda w: status(w, "waiting") == ItemStatus.DECLINED,
    ),
    "accept a suggestion": Case(
        CANDIDATE_ONLY,
        lambda w, a: AcceptSuggestedItem(
            actor=a, candidate_id=w.candidate_id, item_id="suggested"
        ),
        lambda w: status(w, "suggested") == ItemStatus.NOT_STARTED,
    ),
    "decline a suggestion": Case(
        CANDIDATE_ONLY,
        lambda w, a: DeclineSuggestedItem(
            actor=a, candidate_id=w.candidate_id, item_id="suggested"
        ),
        lambda w: status(w, "suggested") == ItemStatus.DECLINED,
    ),
    "reorder": Case(
        MENTOR_ONLY,
        lambda w, a: ReorderRoadmap(
            actor=a, candidate_id=w.candidate_id, order=["suggested", "on"]
        ),
        lambda w: [i.id for i in w.roadmap().on_roadmap] == ["suggested", "on"],
        prepare=lambda w: w.careers.send(
            AcceptSuggestedItem(
                actor=w.story.as_candidate,
                candidate_id=w.candidate_id,
                item_id="suggested",
            )
        ),
    ),
    "mark a module": Case(
        EITHER,
        lambda w, a: MarkModule(
            actor=a,
            candidate_id=w.candidate_id,
            item_id="on",
            module_id="m1",
            done=True,
        ),
        lambda w: status(w, "on") == ItemStatus.IN_PROGRESS,
    ),
    "start an item": Case(
        EITHER,
        lambda w, a: StartRoadmapItem(
            actor=a, candidate_id=w.candidate_id, item_id="on"
        ),
        lambda w: status(w, "on") == ItemStatus.IN_PROGRESS,
    ),
    "complete an item": Case(
        EITHER,
        lambda w, a: CompleteRoadmapItem(
            actor=a, candidate_id=w.candidate_id, item_id="on"
        ),
        lambda w: status(w, "on") == ItemStatus.COMPLETED,
    ),
    "withdraw an item": Case(
        EITHER,
        lambda w, a: WithdrawRoadmapItem(
            actor=a, candidate_id=w.candidate_id, item_id="on", reason="Moved"
        ),
        lambda w: status(w, "on") == ItemStatus.WITHDRAWN,
    ),
    "move a deadline": Case(
        EITHER,
        lambda w, a: MoveDeadline(
            actor=a,
            candidate_id=w.candidate_id,
            item_id="on",
            target_id="deadline",
            due="2031-02-01",
        ),
        lambda w: w.roadmap().item("on").deadlines[0].due == "2031-02-01",
    ),
    "give feedback": Case(
        CANDIDATE_ONLY,
        lambda w, a: GiveRoadmapFeedback(
            actor=a, candidate_id=w.candidate_id, rating=5, item_ratings={"on": 4}
        ),
        lambda w: (w.roadmap().feedback or {}).get("rating") == 5,
        prepare=completed,
    ),
    "send a reminder": Case(
        ("system",),
        overdue_alert,
        lambda w: not any(t.subject == "waiting" for t in w.roadmap().due_timers()),
    ),
}


def refusal(case: Case, who: str) -> type[Exception]:
    """What a sender who may not gets: another mentor does not see the candidate
    where a mentor may act; everyone else is not allowed."""
    if who == "other mentor" and "mentor" in case.allowed:
        return NotFoundError
    return NotAllowedError


@pytest.mark.parametrize("name", sorted(CASES))
def test_who_may_send_each_roadmap_message(world: World, name: str) -> None:
    case = CASES[name]
    case.prepare(world)
    before = world.versions()
    for who in ACTORS:
        if who in case.allowed:
            continue
        expected = refusal(case, who)
        with pytest.raises(expected) as raised:
            world.careers.send(case.message(world, world.actor(who)))
        assert not isinstance(raised.value, GoneError), who
        assert world.versions() == before, f"{who} changed something"
    assert not case.done(world)
    first = case.allowed[0]  # (the mentor's turn where either may: below)
    world.careers.send(case.message(world, world.actor(first)))
    assert case.done(world), first
    assert world.versions() != before


@pytest.mark.parametrize(
    "name", sorted(n for n, c in CASES.items() if c.allowed == EITHER)
)
def test_the_assigned_mentor_works_through_items_too(name: str) -> None:
    careers = Careers()
    try:
        story = MentoredCandidate(careers)
        story.request(goal(modules=("Draft", "Review"), deadline="2031-01-01"), "on")
        story.approve("on")
        w = World(careers, story, careers.mentor(("resume_writing",)))
        case = CASES[name]
        careers.send(case.message(w, story.as_mentor))
        assert case.done(w)
    finally:
        careers.close()


def test_the_badges_are_earned_by_the_candidate_whoever_acts(world: World) -> None:
    badges = world.careers.get_candidate(world.candidate_id).badges
    assert BadgeKind.FIRST_ITEM_APPROVED.value in badges
    # The mentor completes the last open item: the candidate earns the badge.
    for message in (
        WithdrawRoadmapItem(
            actor=world.story.as_candidate,
            candidate_id=world.candidate_id,
            item_id="waiting",
        ),
        DeclineSuggestedItem(
            actor=world.story.as_candidate,
            candidate_id=world.candidate_id,
            item_id="suggested",
        ),
        CompleteRoadmapItem(
            actor=world.story.as_mentor, candidate_id=world.candidate_id, item_id="on"
        ),
    ):
        world.careers.send(message)
    badges = world.careers.get_candidate(world.candidate_id).badges
    assert BadgeKind.ROADMAP_COMPLETED.value in badges


def test_a_mentor_whose_mentee_has_no_record_finds_nothing(world: World) -> None:
    stranger = str(UUID(int=42))
    with pytest.raises(NotFoundError):
        world.careers.send(
            ApproveRoadmapItem(
                actor=world.story.as_mentor, candidate_id=stranger, item_id="waiting"
            )
        )

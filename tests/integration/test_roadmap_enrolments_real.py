"""The enrolments view on real PostgreSQL: the composed app with the careers event
store and views in PostgreSQL, candidates enrolled in an offering through their
roadmaps over HTTP (the offering as the composition root would hand it to careers),
the NPO's enrolments and engagement read from the view, a rebuild equal to the live
version, and an erased candidate's rows gone."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from adapters.bootstrap import Container, build_container
from adapters.http.app import create_app
from adapters.settings import Settings
from commands.careers.application import CareersApplication
from commands.careers.process_manager import PROCESS_MANAGER
from domain.careers.roadmap_items import ItemSpec, ItemStatus
from projections.careers.enrolments import ENROLMENTS_PROJECTION, EnrolmentsReader
from queries.careers.enrolments import Viewer, npo_engagement, npo_enrolments
from tests.support.mentoring_http import MentoringClient
from tests.support.roadmap_http import Mentee

pytestmark = pytest.mark.real_services

SECRET = b"test-pseudonym-secret"


class Offerings:
    """One visible offering, as ``SearchedOfferings`` would copy it."""

    def __init__(self, spec: ItemSpec) -> None:
        self.spec = spec

    def visible(self, offering_ids: Sequence[str]) -> frozenset[str]:
        return frozenset(i for i in offering_ids if i == self.spec.offering_id)

    def roadmap_item(self, offering_id: str) -> ItemSpec | None:
        return self.spec if offering_id == self.spec.offering_id else None


@dataclass
class Members:
    npo_id: str
    member_id: str

    def members_of(self, npo_id: str) -> frozenset[str] | None:
        return frozenset({self.member_id}) if npo_id == self.npo_id else None


@pytest.fixture
def world(postgres_url: str, postgres_schema: str) -> Iterator[MentoringClient]:
    container = build_container(
        Settings(postgres_url=postgres_url, postgres_schema=postgres_schema)
    )
    with TestClient(create_app(container=container)) as client:
        yield MentoringClient.start(
            client, container, f"root-{uuid4().hex[:8]}@example.org"
        )
    container.close()


def settle(container: Container) -> None:
    engine = container.engine
    head = engine.head("careers")
    assert engine.wait_for("careers", head, [ENROLMENTS_PROJECTION], 30) == 0


def test_enrolments_on_postgres_rebuilt_and_erased(world: MentoringClient) -> None:
    container = world.container
    npo_id, offering_id = str(uuid4()), str(uuid4())
    container.application(CareersApplication).offerings = Offerings(
        ItemSpec.offering(
            offering_id=offering_id,
            version=2,
            npo_id=npo_id,
            title="Resume clinic",
            modules=[("a", "Draft"), ("b", "Review"), ("c", "Send")],
            deadlines=[("Apply by", "2031-01-31")],
        )
    )
    mentor = world.mentor(["resume_writing"])
    mentees = [Mentee.assigned(world, mentor) for _ in range(3)]
    items = [m.request({"offering_id": offering_id}) for m in mentees]
    for mentee, item_id in zip(mentees, items, strict=True):
        mentee.approve(item_id)
    first, second, third = mentees
    # The first completes every module (and rates it), the second does one, the
    # third withdraws.
    for module in ("a", "b", "c"):
        first.mark(items[0], module, first.candidate)
    world.ok(
        first.call(
            "PUT",
            "/me/roadmap/feedback",
            first.candidate,
            {"rating": 5, "items": {items[0]: 4}},
        )
    )
    second.mark(items[1], "b", mentor)
    world.ok(third.call("POST", f"{third.base}/items/{items[2]}/withdraw", mentor))
    settle(container)

    members = Members(npo_id, str(uuid4()))
    viewer = Viewer(members.member_id, is_admin=False)

    def read() -> list[tuple[str, ItemStatus, str, int | None]]:
        page = npo_enrolments(
            container.views,
            members,
            container.people,
            secret=SECRET,
            viewer=viewer,
            npo_id=npo_id,
        )
        return [
            (e.row.item_id, e.row.status, str(e.row.percent), e.row.rating)
            for e in page.items
        ]

    # Check the view on PostgreSQL: each enrolment, its status, progress, rating.
    live = read()
    assert sorted(live) == sorted(
        [
            (items[0], ItemStatus.COMPLETED, "100.0", 4),
            (items[1], ItemStatus.IN_PROGRESS, "33.3", None),
            (items[2], ItemStatus.WITHDRAWN, "0.0", None),
        ]
    )
    (engagement,) = npo_engagement(container.views, members, viewer, npo_id)
    assert (
        engagement.enrolled,
        engagement.completed,
        engagement.in_progress,
        engagement.withdrawn,
        engagement.feedback,
    ) == (3, 1, 1, 1, None)
    assert engagement.median_days_to_complete is not None

    # Check a rebuild from the events gives the same rows.
    version = container.engine.rebuild(ENROLMENTS_PROJECTION)
    assert version == 2
    assert read() == live

    # Check the erased candidate's enrolment is gone.
    erased = world.ok(first.call("DELETE", "/me", first.candidate))
    source, position = erased["consistency_token"].split(":")
    assert container.engine.wait_for(source, int(position), [PROCESS_MANAGER], 30) == 0
    settle(container)
    remaining = EnrolmentsReader(container.views).of_npo(npo_id)
    assert sorted(r.item_id for r in remaining) == sorted(items[1:])
    assert first.candidate.user_id not in {r.candidate_id for r in remaining}

"""The roadmap's handlers on the composed careers application with the real
PostgreSQL event store: what is personal (item titles and descriptions, module
titles, reasons, a suggestion's note, the feedback's comment) is sealed in the
stored bytes while the rest is not; ``as_of`` over the events read back from the
store gives the roadmap as it was after each step; once the person is erased, their
texts read as erased and the roadmap no longer changes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest

from adapters.bootstrap import Container, build_container
from adapters.settings import Settings
from commands.base import Actor
from commands.careers.application import CareersApplication
from commands.careers.messages import (
    CompleteRoadmapItem,
    DeclineRoadmapItem,
    EraseCandidate,
    GiveRoadmapFeedback,
    SuggestRoadmapItem,
    WithdrawRoadmapItem,
)
from domain.base import GoneError
from domain.careers.roadmap import Roadmap, as_of, progress_history
from domain.careers.roadmap_items import ItemSpec, ItemStatus
from domain.personal_data import ERASED
from tests.support.mentoring import Careers
from tests.support.roadmap import MentoredCandidate

pytestmark = pytest.mark.real_services


@dataclass
class Deployment:
    container: Container
    careers: Careers
    app: CareersApplication


@pytest.fixture
def deployment(postgres_url: str, postgres_schema: str) -> Iterator[Deployment]:
    container = build_container(
        Settings(postgres_url=postgres_url, postgres_schema=postgres_schema)
    )
    app = container.application(CareersApplication)
    assert app.recorder.__class__.__module__.startswith("eventsourcing.postgres")
    yield Deployment(container, Careers(app), app)
    container.close()


def stored_states(url: str, schema: str, originator_id: UUID) -> list[bytes]:
    """The stored bytes of every event of one aggregate, as PostgreSQL has them."""
    found: list[bytes] = []
    with psycopg.connect(url, autocommit=True) as connection:
        tables = connection.execute(
            "SELECT table_name FROM information_schema.columns "
            "WHERE table_schema = %s AND column_name = 'originator_id' "
            "AND table_name LIKE 'careers%%'",
            (schema,),
        ).fetchall()
        for (table,) in tables:
            rows = connection.execute(
                f'SELECT state FROM "{schema}"."{table}" '
                "WHERE originator_id = %s ORDER BY originator_version",
                (originator_id,),
            ).fetchall()
            found.extend(bytes(state) for (state,) in rows)
    return found


def stored_events(app: CareersApplication, roadmap_id: UUID) -> list[Any]:
    """The roadmap's events as the store gives them back (through the mapper)."""
    return list(app.events.get(roadmap_id))


def seen(roadmap: Roadmap) -> tuple[Any, ...]:
    return (
        roadmap.status,
        roadmap.percent,
        tuple((i.id, i.status, i.title, i.done_modules) for i in roadmap.on_roadmap),
        tuple(sorted((i.id, i.status) for i in roadmap.items.values())),
    )


def test_personal_texts_sealed_history_from_the_store_and_erasure(
    deployment: Deployment, postgres_url: str, postgres_schema: str
) -> None:
    careers, app = deployment.careers, deployment.app
    story = MentoredCandidate(careers)
    unique = uuid4().hex[:10]
    secret = {
        "title": f"Quitting{unique}",
        "description": f"Debts{unique}",
        "module": f"Rehab{unique}",
        "reason": f"Custody{unique}",
        "note": f"Parole{unique}",
        "withdrawn": f"Eviction{unique}",
        "comment": f"Diagnosis{unique}",
    }
    roadmap_id = Roadmap.id_for(story.candidate_id)
    moments: list[tuple[datetime, tuple[Any, ...]]] = []

    def step() -> None:
        """Remember the roadmap as it is, at its last event's moment."""
        roadmap = story.roadmap()
        last = stored_events(app, roadmap_id)[-1]
        assert last.originator_version == roadmap.version
        moments.append((last.timestamp, seen(roadmap)))

    first = story.request(
        ItemSpec.goal(
            secret["title"],
            secret["description"],
            [{"title": secret["module"]}, {"title": "Second"}],
            "2031-06-01",
        ),
        item_id=f"item-{unique}",
    )
    step()
    story.approve(first)
    step()
    story.mark(first, "m1")
    step()
    declined = story.request(item_id="declined")
    careers.send(
        DeclineRoadmapItem(
            actor=story.as_mentor,
            candidate_id=story.candidate_id,
            item_id=declined,
            reason=secret["reason"],
        )
    )
    step()
    careers.send(
        SuggestRoadmapItem(
            actor=story.as_mentor,
            candidate_id=story.candidate_id,
            item_id="suggested",
            goal=ItemSpec.goal("Mock interview"),
            note=secret["note"],
        )
    )
    careers.send(
        WithdrawRoadmapItem(
            actor=story.as_candidate,
            candidate_id=story.candidate_id,
            item_id="suggested",
            reason=secret["withdrawn"],
        )
    )
    step()
    careers.send(
        CompleteRoadmapItem(
            actor=story.as_candidate, candidate_id=story.candidate_id, item_id=first
        )
    )
    step()
    careers.send(
        GiveRoadmapFeedback(
            actor=story.as_candidate,
            candidate_id=story.candidate_id,
            rating=4,
            comment=secret["comment"],
        )
    )
    step()
    roadmap = story.roadmap()
    assert roadmap.item(first).title == secret["title"]
    assert (roadmap.item(declined).reason, roadmap.percent) == (
        secret["reason"],
        Decimal("100.0"),
    )

    # Check no personal text is readable in the stored bytes, while what is not
    # personal (the item's id) is: the bytes are plain enough to search.
    states = stored_states(postgres_url, postgres_schema, roadmap_id)
    assert len(states) == roadmap.version
    blob = b"\n".join(states)
    assert f"item-{unique}".encode() in blob
    leaked = [k for k, v in secret.items() if v.encode() in blob]
    assert leaked == []

    # Check the roadmap as of each step, from the events read back from the store.
    events = stored_events(app, roadmap_id)
    for moment, then in moments:
        past = as_of(events, moment)
        assert past is not None
        assert seen(past) == then
    assert [f for _, f in progress_history(events)] == [
        Decimal("0.0"),
        Decimal("50.0"),
        Decimal("100.0"),
    ]

    # Check the person's erasure: their key destroyed (as identity does) and the
    # career record erased; the texts then read as erased from the store.
    careers.send(
        EraseCandidate(actor=Actor.system("erasure"), candidate_id=story.candidate_id)
    )
    app.vault.destroy(UUID(story.candidate_id))
    events = stored_events(app, roadmap_id)
    erased = as_of(events, events[-1].timestamp)
    assert erased is not None
    assert erased.erased
    item = erased.item(first)
    assert (item.title, item.description) == (ERASED, None)
    assert [m.title for m in item.modules] == [ERASED, ERASED]
    assert erased.item(declined).reason == ERASED
    assert erased.item("suggested").note is None  # sealed with the item's texts
    assert erased.item("suggested").reason == ERASED
    assert erased.feedback is None
    # The figures stay: they are not personal.
    assert (erased.percent, item.status) == (Decimal("100.0"), ItemStatus.COMPLETED)
    with pytest.raises(GoneError):
        story.request(item_id="after")
    blob = b"\n".join(stored_states(postgres_url, postgres_schema, roadmap_id))
    assert [k for k, v in secret.items() if v.encode() in blob] == []

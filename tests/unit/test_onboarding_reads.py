"""The onboarding queries read the views through their typed readers, and reads
never write: every statement a query sends is a SELECT (none creates a projection's
state, as looking up a live version used to)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from adapters.embedded.blobs import LocalDiskBlobStore
from adapters.embedded.bus import InMemoryMessageBus
from adapters.embedded.cache import InMemoryCache
from adapters.embedded.documents import InMemoryDocumentStore
from adapters.embedded.views import SqliteRelationalStore
from commands.base import Actor
from commands.onboarding.application import OnboardingApplication
from commands.onboarding.messages import (
    AddLeader,
    CreateCommunity,
    CreateNpo,
    CreateOffering,
    RecordOffering,
)
from domain.onboarding.offering import OfferingStatus
from ports.relational import Dialect, RelationalStore, Row, SqlSession
from projections.contracts import ViewPorts
from projections.engine import ProjectionEngine
from projections.onboarding.offerings import OfferingDocuments
from projections.onboarding.relational import NposView
from queries.onboarding import communities, npos, offerings, reports
from queries.onboarding.viewer import Viewer
from tests.support.onboarding import (
    Onboarding,
    admin,
    npo_profile,
    npo_user,
    offering_content,
)


class RecordingSession:
    def __init__(self, session: SqlSession, statements: list[str]) -> None:
        self._session = session
        self._statements = statements
        self.dialect: Dialect = session.dialect

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._statements.append(sql)
        self._session.execute(sql, params)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self._statements.append(sql)
        self._session.executemany(sql, rows)

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        self._statements.append(sql)
        return self._session.fetchall(sql, params)

    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        self._statements.append(sql)
        return self._session.fetchone(sql, params)


class RecordingStore:
    """The views' store, noting every statement sent through it."""

    def __init__(self, store: RelationalStore) -> None:
        self._store = store
        self.dialect: Dialect = store.dialect
        self.statements: list[str] = []

    @contextmanager
    def transaction(self) -> Iterator[SqlSession]:
        with self._store.transaction() as session:
            yield RecordingSession(session, self.statements)

    def close(self) -> None:
        self._store.close()

    def ping(self) -> None:
        self._store.ping()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteRelationalStore]:
    made = SqliteRelationalStore(None)
    yield made
    made.close()


def test_every_onboarding_query_only_selects(
    store: SqliteRelationalStore, tmp_path: Path
) -> None:
    app = OnboardingApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    documents = InMemoryDocumentStore()
    blobs = LocalDiskBlobStore(tmp_path, "http://testserver", "secret")
    onboarding = Onboarding(app, blobs)
    engine = ProjectionEngine(
        store,
        {"onboarding": app},
        [NposView, OfferingDocuments],
        ViewPorts(documents, InMemoryCache(), InMemoryMessageBus()),
    )
    try:
        boss, owner = admin(), npo_user()
        community = onboarding.send(
            CreateCommunity(actor=boss, name="Careers", tags=("resume-writing",))
        ).ids[0]
        onboarding.send(
            AddLeader(
                actor=boss,
                community_id=UUID(community),
                user_id=onboarding.leader("l0"),
            )
        )
        npo_id = onboarding.send(CreateNpo(actor=owner, profile=npo_profile())).ids[0]
        offering_id = onboarding.send(
            CreateOffering(actor=owner, npo_id=UUID(npo_id), content=offering_content())
        ).ids[0]
        onboarding.send(
            RecordOffering(
                actor=Actor.system("c"),
                npo_id=UUID(npo_id),
                offering_id=UUID(offering_id),
            )
        )
        engine.catch_up()
        # The projections' state rows gone (as before a projection's first run):
        # finding the live version must not make them.
        with store.transaction() as session:
            session.execute("DELETE FROM projection_state")
        views = RecordingStore(store)
        member = Viewer(owner.user_id, owner.roles)

        # Every query the API offers, as a member of the NPO.
        found = npos.visible_npo(views, member, npo_id)
        assert found.registration_status == "COMPLETE"
        assert npos.npos_of_member(views, owner.user_id, None, None).items
        assert npos.npos_admin(
            views,
            registration="COMPLETE",
            verification=None,
            approved=False,
            waiting=False,
            cursor=None,
            limit=None,
        ).items
        assert npos.npo_of_offering(views, offering_id) == npo_id
        offering = offerings.get_offering(views, documents, member, offering_id)
        assert offering.status is OfferingStatus.ACTIVE
        page = offerings.offerings_of_npo(views, documents, member, npo_id)
        assert [o.id for o in page.items] == [offering_id]
        report = reports.npo_report(views, documents, member, npo_id)
        assert report.offering_counts == {"ACTIVE": 1}
        assert reports.npos_of_leader(views, "l0", None, None).items
        assert communities.get_community(views, community).leaders == ("l0",)
        names = {c.name for c in communities.list_communities(views)}
        assert names == {"Careers", "Unplaced organisations"}
        assert [r.leader_id for r in communities.list_leaders(views)] == ["l0"]
        assert communities.get_policy(views).leader_npo_cap == 10
        assert "resume_writing" in communities.list_categories(views)

        # Check they sent only SELECTs.
        assert views.statements
        writes = [
            s for s in views.statements if not s.lstrip().upper().startswith("SELECT")
        ]
        assert writes == []
        with store.transaction() as session:
            assert session.fetchall("SELECT * FROM projection_state") == []
    finally:
        engine.stop()
        app.close()

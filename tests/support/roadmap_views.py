"""A mentored candidate's roadmap on the in-memory careers application, with the
roadmap views (and the mentors view) projected onto SQLite and an in-memory
cache, as the composition root projects them."""

from __future__ import annotations

from uuid import UUID

from adapters.embedded.bus import InMemoryMessageBus
from adapters.embedded.cache import InMemoryCache
from adapters.embedded.documents import InMemoryDocumentStore
from adapters.embedded.views import SqliteRelationalStore
from domain.careers.roadmap import Roadmap
from ports.cache import Cache
from projections.careers.mentors import MentorsView
from projections.careers.roadmap_document import RoadmapDocument, roadmap_document
from projections.careers.roadmaps import (
    RoadmapCache,
    RoadmapsReader,
    RoadmapsView,
    roadmap_loader,
)
from projections.contracts import Projection, ViewPorts
from projections.engine import ProjectionEngine
from queries.careers.roadmaps import RoadmapReads
from tests.support.mentoring import Careers
from tests.support.roadmap import MentoredCandidate


class ProjectedRoadmaps:
    """``MentoredCandidate`` with the views it feeds."""

    def __init__(self, cache: Cache | None = None) -> None:
        self.careers = Careers()
        self.ada = MentoredCandidate(self.careers)
        self.views = SqliteRelationalStore(None)
        self.cache = cache or InMemoryCache()
        # How often the views loaded a roadmap instead of folding its events.
        self.loads = 0
        loader = roadmap_loader(self.careers.app)

        def load(roadmap_id: UUID) -> Roadmap | None:
            self.loads += 1
            return loader(roadmap_id)

        self.engine = ProjectionEngine(
            self.views,
            {self.careers.app.name: self.careers.app},
            [MentorsView, RoadmapsView.bound(load), RoadmapCache.bound(load)],
            ViewPorts(InMemoryDocumentStore(), self.cache, InMemoryMessageBus()),
        )
        self.reads = RoadmapReads(self.views, self.cache)
        self._instances: list[Projection] = []

    def catch_up(self) -> None:
        """Apply what is new with fresh projection instances (as a rebuild)."""
        self.engine.catch_up()

    def follow(self, limit: int | None = None) -> None:
        """Apply what is new with the same instances each time, ``limit`` events a
        batch at most (as a running engine's runners do)."""
        self.engine.setup()
        if not self._instances:
            self._instances = [
                self.engine.instance(name, 1) for name in self.engine.projection_types
            ]
        for projection in self._instances:
            while self.engine.process_next_batch(projection, limit):
                pass

    def rebuilt(self) -> RoadmapDocument | None:
        """The candidate's document as views built afresh from the log say."""
        views = SqliteRelationalStore(None)
        load = roadmap_loader(self.careers.app)
        engine = ProjectionEngine(
            views,
            {self.careers.app.name: self.careers.app},
            [RoadmapsView.bound(load)],
            ViewPorts(InMemoryDocumentStore(), InMemoryCache(), InMemoryMessageBus()),
        )
        try:
            engine.catch_up()
            return RoadmapsReader(views).document(self.ada.candidate_id)
        finally:
            engine.stop()
            views.close()

    def domain_document(self) -> RoadmapDocument:
        """The document made from the aggregate itself (position aside)."""
        return roadmap_document(self.ada.roadmap())

    def close(self) -> None:
        self.engine.stop()
        self.views.close()
        self.careers.close()

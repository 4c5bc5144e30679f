"""A mentored candidate's roadmap on the in-memory careers application, with the
roadmap views (and the mentors view) projected onto SQLite and an in-memory
cache, as the composition root projects them."""

from __future__ import annotations

from adapters.embedded.bus import InMemoryMessageBus
from adapters.embedded.cache import InMemoryCache
from adapters.embedded.documents import InMemoryDocumentStore
from adapters.embedded.views import SqliteRelationalStore
from ports.cache import Cache
from projections.careers.mentors import MentorsView
from projections.careers.roadmap_document import RoadmapDocument, roadmap_document
from projections.careers.roadmaps import RoadmapCache, RoadmapsView
from projections.careers.views import roadmap_loader
from projections.contracts import ViewPorts
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
        load = roadmap_loader(self.careers.app)
        self.engine = ProjectionEngine(
            self.views,
            {self.careers.app.name: self.careers.app},
            [MentorsView, RoadmapsView.bound(load), RoadmapCache.bound(load)],
            ViewPorts(InMemoryDocumentStore(), self.cache, InMemoryMessageBus()),
        )
        self.reads = RoadmapReads(self.views, self.cache)

    def catch_up(self) -> None:
        self.engine.catch_up()

    def domain_document(self) -> RoadmapDocument:
        """The document made from the aggregate itself (position aside)."""
        return roadmap_document(self.ada.roadmap())

    def close(self) -> None:
        self.engine.stop()
        self.views.close()
        self.careers.close()

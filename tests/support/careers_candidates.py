"""Helpers for the candidates' tests: the careers application (with identity beside
it, sharing the vault as the composition root makes them), the candidates view and
the careers process manager on the embedded stores; values to send."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from adapters.embedded.bus import InMemoryMessageBus
from adapters.embedded.cache import InMemoryCache
from adapters.embedded.documents import InMemoryDocumentStore
from adapters.embedded.views import SqliteRelationalStore
from adapters.identity.data_keys import SqlPersonalDataVault
from commands.base import Actor, Command, ResultT, SpotlightApplication
from commands.careers.application import CareersApplication
from commands.careers.handlers import HANDLERS as CAREERS_HANDLERS
from commands.careers.process_manager import careers_process_manager_for
from commands.dispatch import Dispatcher
from commands.identity.application import IdentityApplication
from commands.identity.handlers import HANDLERS as IDENTITY_HANDLERS
from domain.careers.assessment import NeedsAssessment
from domain.careers.profile import CareerProfile, Education, WorkExperience
from projections.careers.candidates import CandidatesView
from projections.contracts import ViewPorts
from projections.engine import ProjectionEngine
from tests.support.identity import RevokedTokens

POPO = {"PERSISTENCE_MODULE": "eventsourcing.popo"}


def candidate(user_id: str | None = None) -> Actor:
    return Actor(
        user_id=user_id or str(uuid4()),
        roles=frozenset({"CANDIDATE"}),
        correlation_id=uuid4().hex,
    )


def someone(*roles: str) -> Actor:
    return Actor(user_id=str(uuid4()), roles=frozenset(roles), correlation_id="t")


def career_profile(**overrides: Any) -> CareerProfile:
    fields: dict[str, Any] = {
        "headline": "Aspiring data analyst",
        "summary": "Ten years in retail; learning SQL and Python.",
        "skills": ["SQL", "Customer service", "sql"],
        "education": [
            Education("City College", "Certificate", "Data analysis", 2023, None)
        ],
        "work_history": [
            WorkExperience("Corner Shop", "Shift lead", 2014, 2024, "Ran the tills.")
        ],
        "achievements": ["Employee of the month"],
        "links": ["https://example.org/portfolio"],
        "visibility": "mentors",
    }
    fields.update(overrides)
    return CareerProfile.of(**fields)


def needs_assessment(**overrides: Any) -> NeedsAssessment:
    fields: dict[str, Any] = {
        "needs": {
            "resume_writing": {"level": "urgent", "text": "My resume is old."},
            "interview_prep": {"level": "some"},
            "child_care": {"level": "urgent"},
        },
        "region": "Bay Area",
        "country": "us",
        "preferred_format": "online",
        "languages": ["en", "ES"],
        "availability": "Weekday evenings",
    }
    fields.update(overrides)
    return NeedsAssessment.of(**fields)


class Careers:
    """Careers and identity on POPO with one vault (as the composition root makes
    them), the candidates view and the careers process manager on SQLite, and one
    dispatcher over both contexts' handlers."""

    def __init__(self) -> None:
        self.views = SqliteRelationalStore(None)
        self.vault = SqlPersonalDataVault(SqliteRelationalStore(None))
        self.identity = IdentityApplication(
            env=POPO, vault=self.vault, refresh_tokens=RevokedTokens()
        )
        self.app = CareersApplication(env=POPO, vault=self.vault)
        applications: dict[str, SpotlightApplication] = {
            self.identity.name: self.identity,
            self.app.name: self.app,
        }
        self.dispatcher = Dispatcher(
            applications, [IDENTITY_HANDLERS, CAREERS_HANDLERS]
        )
        self.engine = ProjectionEngine(
            self.views,
            applications,
            [
                CandidatesView,
                *careers_process_manager_for(applications, self.dispatcher.dispatch),
            ],
            ViewPorts(InMemoryDocumentStore(), InMemoryCache(), InMemoryMessageBus()),
        )

    def send(self, command: Command[ResultT]) -> ResultT:
        return self.dispatcher.dispatch(command)

    def catch_up(self) -> None:
        self.engine.catch_up()

    def close(self) -> None:
        self.engine.stop()
        self.views.close()
        self.app.close()
        self.identity.close()


# --- Bodies of the HTTP requests ---------------------------------------------------

# PUT /me/career-profile
PROFILE: dict[str, Any] = {
    "headline": "Aspiring data analyst",
    "summary": "Ten years in retail.\nLearning SQL.",
    "skills": ["SQL", "Customer service"],
    "education": [
        {
            "institution": "City College",
            "qualification": "Certificate",
            "field_of_study": "Data analysis",
            "start_year": 2023,
        }
    ],
    "work_history": [
        {
            "employer": "Corner Shop",
            "title": "Shift lead",
            "start_year": 2014,
            "end_year": 2024,
            "description": "Ran the tills.",
        }
    ],
    "achievements": ["Employee of the month"],
    "links": ["https://example.org/portfolio"],
    "visibility": "mentors",
}
# POST /me/assessments
ASSESSMENT: dict[str, Any] = {
    "needs": {
        "resume_writing": {"level": "urgent", "text": "My resume is ten years old."},
        "interview_prep": {"level": "some"},
    },
    "region": "Bay Area",
    "country": "US",
    "preferred_format": "online",
    "languages": ["en", "es"],
    "availability": "Weekday evenings",
}

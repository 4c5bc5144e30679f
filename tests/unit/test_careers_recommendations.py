"""Recommendations end to end on the embedded stores: a mentor's suggestion (CM4),
careers' view of latest assessments and suggestions, and the query that combines it
with the offering search view (the SQLite one, filled directly:
``tests.support.offering_search``).

Mentors are assigned by the real assignment: a mentor with a profile takes the
candidate when they complete their assessment, or when the mentor joins while
they wait."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID, uuid4

import pytest

from adapters.bootstrap import SearchedOfferings
from adapters.embedded.bus import InMemoryMessageBus
from adapters.embedded.cache import InMemoryCache
from adapters.embedded.documents import InMemoryDocumentStore
from adapters.embedded.views import SqliteRelationalStore
from commands.base import Actor, CommandResult
from commands.careers.messages import SuggestOffering
from commands.careers.process_manager import careers_process_manager_for
from commands.identity.application import IdentityApplication
from commands.identity.messages import EraseUser, SignIn
from domain.base import InvalidFieldError, NotAllowedError, NotFoundError
from domain.careers.candidate import Candidate
from domain.careers.recommendation import NeedsMatch, Reach
from domain.careers.values import ROLE_CANDIDATE, NeedLevel
from domain.identity.values import Role
from projections.careers.candidates import CandidatesView
from projections.careers.recommendations import (
    RecommendationInputs,
    RecommendationInputsReader,
)
from projections.contracts import Projection, ViewPorts
from projections.engine import ProjectionEngine
from queries.careers.recommendations import recommendations_for
from tests.support.identity import identity_application, identity_dispatcher
from tests.support.mentoring import Careers
from tests.support.offering_search import SearchIndex
from tests.support.recommendations import actor, assess, mentor, summary


@pytest.fixture
def search() -> Iterator[SearchIndex]:
    index = SearchIndex()
    yield index
    index.close()


@pytest.fixture
def app(search: SearchIndex) -> Iterator[Careers]:
    careers = Careers()
    careers.app.offerings = SearchedOfferings(search.search)
    yield careers
    careers.close()


@pytest.fixture
def identity() -> Iterator[IdentityApplication]:
    application = identity_application()
    yield application
    application.close()


@pytest.fixture
def views() -> Iterator[SqliteRelationalStore]:
    store = SqliteRelationalStore(None)
    yield store
    store.close()


@pytest.fixture
def engine(
    app: Careers,
    identity: IdentityApplication,
    views: SqliteRelationalStore,
) -> ProjectionEngine:
    ports = ViewPorts(InMemoryDocumentStore(), InMemoryCache(), InMemoryMessageBus())
    applications = {"careers": app.app, "identity": identity}
    # Identity's erasures reach the view as careers' own (the process manager).
    projections: list[type[Projection]] = [
        CandidatesView,
        RecommendationInputs,
        *careers_process_manager_for(applications, app.dispatcher.dispatch),
    ]
    return ProjectionEngine(views, applications, projections, ports)


def suggest(
    app: Careers,
    by: Actor,
    candidate_id: UUID | str,
    offering_id: str,
    note: str | None = None,
) -> CommandResult:
    return app.send(
        SuggestOffering(
            actor=by,
            candidate_id=UUID(str(candidate_id)),
            offering_id=offering_id,
            note=note,
        )
    )


# --- A mentor's suggestion ---------------------------------------------------------


def test_the_assigned_mentor_suggests_a_visible_offering(
    app: Careers, search: SearchIndex
) -> None:
    mentor_id, as_mentor = mentor(app)
    candidate_id = uuid4()
    assess(app, candidate_id)
    offering = summary()
    search.publish(offering)

    result = suggest(
        app, as_mentor, candidate_id, offering_id=offering.offering_id, note="Go!"
    )

    # Check the candidate records it, from that mentor.
    assert result.ids == (str(candidate_id),)
    candidate: Candidate = app.app.repository.get(candidate_id)
    assert candidate.suggestions == {offering.offering_id: mentor_id}


def test_nobody_but_the_assigned_mentor_suggests(
    app: Careers, search: SearchIndex
) -> None:
    candidate_id = uuid4()
    # The candidate waits for a mentor until one joins, who then takes them.
    assess(app, candidate_id)
    assert app.get_candidate(str(candidate_id)).mentor_id is None
    mentor_id, as_mentor = mentor(app)
    assert app.get_candidate(str(candidate_id)).mentor_id == mentor_id
    _, other_mentor = mentor(app)
    offering = summary()
    search.publish(offering)

    # Check a mentor of nobody is told there is no such mentee (nothing leaks).
    with pytest.raises(NotFoundError):
        suggest(app, other_mentor, candidate_id, offering_id=offering.offering_id)
    # Check the candidate themselves, without the mentor role, is refused.
    with pytest.raises(NotAllowedError):
        suggest(
            app,
            actor(candidate_id, ROLE_CANDIDATE),
            candidate_id,
            offering_id=offering.offering_id,
        )
    # Check a candidate that does not exist is not found.
    with pytest.raises(NotFoundError):
        suggest(app, as_mentor, uuid4(), offering_id=offering.offering_id)
    candidate: Candidate = app.app.repository.get(candidate_id)
    assert getattr(candidate, "suggestions", {}) == {}


def test_only_a_visible_offering_and_a_short_note_are_accepted(
    app: Careers, search: SearchIndex
) -> None:
    _, as_mentor = mentor(app)
    candidate_id = uuid4()
    assess(app, candidate_id)
    offering, hidden_offering = summary(), summary()
    search.publish(offering)
    search.publish(hidden_offering)
    search.hide(hidden_offering.offering_id)

    with pytest.raises(InvalidFieldError) as hidden:
        suggest(app, as_mentor, candidate_id, offering_id=hidden_offering.offering_id)
    assert hidden.value.field == "offering_id"

    with pytest.raises(InvalidFieldError) as long_note:
        suggest(
            app,
            as_mentor,
            candidate_id,
            offering_id=offering.offering_id,
            note="x" * 10_000_000,
        )
    assert long_note.value.field == "note"
    with pytest.raises(InvalidFieldError) as control:
        suggest(
            app,
            as_mentor,
            candidate_id,
            offering_id=offering.offering_id,
            note="a\x00b",
        )
    assert control.value.field == "note"


# --- The view and the query --------------------------------------------------------


def test_recommendations_follow_the_latest_assessment_and_the_visible_offerings(
    app: Careers,
    engine: ProjectionEngine,
    views: SqliteRelationalStore,
    search: SearchIndex,
) -> None:
    candidate_id = str(uuid4())
    interviews = summary(tags=("mock-interview", "spanish"))
    daycare = summary(categories=("child_care",), tags=("daycare",))
    food = summary(categories=("grocery_meals",), tags=())
    abroad = summary(region="Ontario", country="CA")
    for offering in (interviews, daycare, food, abroad):
        search.publish(offering)
    assess(app, candidate_id)
    engine.catch_up()

    def ids() -> list[str]:
        found = recommendations_for(
            views, search.search, NeedsMatch(), candidate_id, 10
        )
        return [i.offering.offering_id for i in found.items]

    # Check the urgent need first, the lesser one next; not what is not needed,
    # nor what is out of reach.
    assert ids() == [interviews.offering_id, daycare.offering_id]
    first = recommendations_for(views, search.search, NeedsMatch(), candidate_id, 10)
    (top, _) = first.items
    assert top.reason is not None
    assert [(n.category, n.level) for n in top.reason.needs] == [
        ("interview_prep", NeedLevel.URGENT)
    ]
    assert top.reason.tags == ("mock-interview",)
    assert top.reason.location == Reach.SAME_REGION
    assert first.assessment_number == 1

    # Check a new assessment changes the list at once.
    assess(app, candidate_id, needs={"grocery_meals": {"level": "urgent"}})
    engine.catch_up()
    assert ids() == [food.offering_id]

    # Check an offering taken down (or its NPO deleted) leaves the list at once.
    search.hide_npo(food.npo_id)
    assert ids() == []
    # Check the limit holds.
    for _ in range(5):
        search.publish(summary(categories=("grocery_meals",)))
    assert (
        len(
            recommendations_for(
                views, search.search, NeedsMatch(), candidate_id, 3
            ).items
        )
        == 3
    )


def test_the_mentors_suggestion_comes_first_marked_as_theirs(
    app: Careers,
    engine: ProjectionEngine,
    views: SqliteRelationalStore,
    search: SearchIndex,
) -> None:
    mentor_id, as_mentor = mentor(app)
    candidate_id = str(uuid4())
    assess(app, candidate_id)
    picked = summary()
    # Not in a needed category: only the mentor brings it in.
    attire = summary(categories=("business_attire",), tags=("suit",))
    for offering in (picked, attire):
        search.publish(offering)
    suggest(
        app, as_mentor, candidate_id, offering_id=attire.offering_id, note="Wear it"
    )
    engine.catch_up()

    found = recommendations_for(views, search.search, NeedsMatch(), candidate_id, 10)

    first, second = found.items
    assert first.offering.offering_id == attire.offering_id
    assert first.suggestion is not None
    assert first.suggestion.mentor_id == mentor_id
    assert first.suggestion.note == "Wear it"
    assert first.reason is None  # the model did not pick it
    assert second.offering.offering_id == picked.offering_id
    assert second.suggestion is None

    # Check a suggestion of an offering since taken down is not shown.
    search.hide(attire.offering_id)
    found = recommendations_for(views, search.search, NeedsMatch(), candidate_id, 10)
    assert [i.offering.offering_id for i in found.items] == [picked.offering_id]


def test_before_an_assessment_there_is_nothing_to_recommend(
    views: SqliteRelationalStore,
    engine: ProjectionEngine,
    search: SearchIndex,
) -> None:
    engine.catch_up()
    search.publish(summary())

    found = recommendations_for(views, search.search, NeedsMatch(), str(uuid4()), 10)

    assert found.items == ()
    assert found.assessment_number is None


def test_the_view_forgets_an_erased_person(
    app: Careers,
    identity: IdentityApplication,
    engine: ProjectionEngine,
    views: SqliteRelationalStore,
    search: SearchIndex,
) -> None:
    user_id = (
        identity_dispatcher(identity)
        .dispatch(
            SignIn(
                actor=Actor.system(),
                issuer="https://accounts.google.com",
                subject="g-1",
                email="ada@example.org",
                email_verified=True,
                given_name="Ada",
                family_name="Lovelace",
                sign_up_roles=frozenset({Role.CANDIDATE}),
            )
        )
        .user_id
    )
    _, as_mentor = mentor(app)
    assess(app, user_id)
    offering = summary()
    search.publish(offering)
    suggest(app, as_mentor, user_id, offering_id=offering.offering_id, note="Private")
    engine.catch_up()
    reader = RecommendationInputsReader(views)
    assert reader.of(str(user_id)).assessment is not None

    identity_dispatcher(identity).dispatch(
        EraseUser(
            actor=Actor(user_id=str(user_id), correlation_id="c"), user_id=user_id
        )
    )
    engine.catch_up()  # the process manager records Candidate.Erased
    engine.catch_up()  # which the view applies

    # Check nothing of the person is left in the view's tables.
    gone = reader.of(str(user_id))
    assert gone.assessment is None
    assert gone.suggestions == ()
    with views.transaction() as session:
        rows = [
            *session.fetchall("SELECT * FROM careers_assessments_v1"),
            *session.fetchall("SELECT * FROM car_rec_suggestions_v1"),
        ]
    assert not any(str(user_id) in str(row) for row in rows)
    assert "Private" not in str(rows)


def test_an_event_read_as_erased_writes_nothing(
    app: Careers,
    engine: ProjectionEngine,
    views: SqliteRelationalStore,
) -> None:
    # A rebuild after the person's key was destroyed reads their fields as erased.
    candidate_id = uuid4()
    assess(app, candidate_id)
    app.app.vault.destroy(candidate_id)

    engine.catch_up()

    assert RecommendationInputsReader(views).of(str(candidate_id)).assessment is None
    with views.transaction() as session:
        assert session.fetchall("SELECT * FROM careers_assessments_v1") == []

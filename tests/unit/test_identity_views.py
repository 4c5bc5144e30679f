"""The users view, the user cache and the directory that reads them, embedded."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from uuid import UUID

import anyio
import pytest

from adapters.embedded.bus import InMemoryMessageBus
from adapters.embedded.cache import CacheReadsInProcess, InMemoryCache
from adapters.embedded.documents import InMemoryDocumentStore
from adapters.embedded.views import SqliteRelationalStore
from commands.base import Actor
from commands.identity.application import IdentityApplication
from commands.identity.messages import (
    BootstrapAdmin,
    EraseUser,
    GrantRole,
    SignIn,
    UpdateProfile,
)
from domain.identity.values import Role
from projections.contracts import ViewNames, ViewPorts
from projections.engine import ProjectionEngine
from projections.identity.user_cache import USER_KEY, UserCacheView
from projections.identity.user_info import UserInfo
from projections.identity.users_view import UsersView
from queries.identity.users import UserDirectory
from tests.support.identity import identity_application, identity_dispatcher


class FlakyCache(InMemoryCache):
    """A cache whose reads fail while ``down``; counts the attempts and notes the
    threads that made them."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False
        self.reads = 0
        self.threads: set[int] = set()

    def get(self, key: str) -> bytes | None:
        self.reads += 1
        self.threads.add(threading.get_ident())
        if self.down:
            raise ConnectionError("redis is down")
        return super().get(key)


@pytest.fixture
def app() -> Iterator[IdentityApplication]:
    application = identity_application()
    yield application
    application.close()


@pytest.fixture
def cache() -> FlakyCache:
    return FlakyCache()


@pytest.fixture
def store() -> Iterator[SqliteRelationalStore]:
    views = SqliteRelationalStore(None)
    yield views
    views.close()


@pytest.fixture
def engine(
    app: IdentityApplication, cache: FlakyCache, store: SqliteRelationalStore
) -> ProjectionEngine:
    ports = ViewPorts(InMemoryDocumentStore(), cache, InMemoryMessageBus())
    return ProjectionEngine(store, {"identity": app}, [UsersView, UserCacheView], ports)


def sign_in(app: IdentityApplication, subject: str, email: str) -> UUID:
    return (
        identity_dispatcher(app)
        .dispatch(
            SignIn(
                actor=Actor.system(),
                issuer="https://accounts.google.com",
                subject=subject,
                email=email,
                email_verified=True,
                given_name="Ada",
                family_name="Lovelace",
                sign_up_roles=frozenset({Role.CANDIDATE}),
            )
        )
        .user_id
    )


def test_views_follow_the_user_and_forget_them_on_erasure(
    app: IdentityApplication,
    engine: ProjectionEngine,
    cache: FlakyCache,
    store: SqliteRelationalStore,
) -> None:
    dispatcher = identity_dispatcher(app)
    user_id = sign_in(app, "g-1", "ada@example.org")
    admin_id = dispatcher.dispatch(
        BootstrapAdmin(actor=Actor.system(), email="root@example.org")
    ).user_id
    as_user = Actor(user_id=str(user_id), correlation_id="c")
    as_admin = Actor(user_id=str(admin_id), correlation_id="c")
    dispatcher.dispatch(
        UpdateProfile(actor=as_user, user_id=user_id, phone="+14155550100")
    )
    dispatcher.dispatch(
        GrantRole(actor=as_admin, user_id=user_id, role=Role.CAREER_MENTOR)
    )
    engine.catch_up()
    directory = UserDirectory(store, cache)

    # Check the cache holds the whole document and the directory answers from it.
    key = ViewNames("user_cache", 1).key_prefix(USER_KEY) + str(user_id)
    document = json.loads(cache.get(key) or b"{}")
    assert document["phone"] == "+14155550100"
    assert document["roles"] == ["CANDIDATE", "CAREER_MENTOR"]
    found = directory.get(user_id)
    assert found is not None
    assert found.roles == {Role.CANDIDATE, Role.CAREER_MENTOR}
    assert directory.cache_hits == 1

    # Check a missing key is answered by the view.
    cache.delete(key)
    found = directory.get(user_id)
    assert found is not None
    assert found.phone == "+14155550100"
    assert directory.cache_misses == 1
    listed = directory.list(role=Role.CAREER_MENTOR)
    assert [u.id for u in listed.users] == [user_id]

    dispatcher.dispatch(EraseUser(actor=as_user, user_id=user_id))
    engine.catch_up()
    assert directory.get(user_id) is None
    assert cache.get(key) is None

    # Check a rebuild from the events (personal fields now read as erased) brings
    # back the admin and not the erased user.
    version = engine.rebuild("users")
    assert version == 2
    rebuilt = UserDirectory(store, cache, version_ttl_seconds=0)
    assert rebuilt.get(user_id, use_cache=False) is None
    assert rebuilt.get(admin_id, use_cache=False) is not None


def test_a_failing_cache_opens_the_breaker_and_the_view_answers(
    app: IdentityApplication,
    engine: ProjectionEngine,
    cache: FlakyCache,
    store: SqliteRelationalStore,
) -> None:
    user_id = sign_in(app, "g-2", "bob@example.org")
    engine.catch_up()
    now = [0.0]
    directory = UserDirectory(
        store, cache, cache_retry_after_seconds=5, clock=lambda: now[0]
    )
    cache.down = True
    for _ in range(3):
        assert directory.get(user_id) is not None
    # Check only the first read tried Redis; the others went straight to the view.
    assert cache.reads == 1
    assert directory.cache_errors == 1

    now[0] += 6
    cache.down = False
    assert directory.get(user_id) is not None
    assert cache.reads == 2
    assert directory.cache_hits == 1


def test_lookups_on_the_event_loop_read_the_cache_in_place(
    app: IdentityApplication,
    engine: ProjectionEngine,
    cache: FlakyCache,
    store: SqliteRelationalStore,
) -> None:
    user_id = sign_in(app, "g-3", "cy@example.org")
    engine.catch_up()
    now = [0.0]
    directory = UserDirectory(
        store,
        cache,
        reads=CacheReadsInProcess(cache),
        cache_retry_after_seconds=5,
        clock=lambda: now[0],
    )

    async def lookup() -> tuple[UserInfo | None, int]:
        return await directory.lookup(user_id), threading.get_ident()

    found, loop_thread = anyio.run(lookup)
    assert found is not None
    assert found.email == "cy@example.org"
    # Check the cache answered, on the event loop's own thread.
    assert (directory.cache_hits, cache.threads) == (1, {loop_thread})

    # Check a failing cache is skipped for a while; the view answers meanwhile.
    cache.down = True
    for _ in range(3):
        found, _ = anyio.run(lookup)
        assert found is not None
    assert (cache.reads, directory.cache_errors) == (2, 1)
    now[0] += 6
    cache.down = False
    anyio.run(lookup)
    assert (cache.reads, directory.cache_hits) == (3, 2)

    # Check a missing key is answered by the view.
    cache.delete(ViewNames("user_cache", 1).key_prefix(USER_KEY) + str(user_id))
    found, _ = anyio.run(lookup)
    assert found is not None
    assert directory.cache_misses == 1


def test_concurrent_first_sign_ins_make_one_user(app: IdentityApplication) -> None:
    results: list[UUID] = []
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def run() -> None:
        start.wait()
        try:
            results.append(sign_in(app, "same-subject", "carol@example.org"))
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(set(results)) == 1

"""Narratives of the identity handlers, dispatched, on the in-memory store."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

import pytest

from commands.base import Actor, Command
from commands.dispatch import Dispatcher
from commands.identity.application import IdentityApplication
from commands.identity.messages import (
    AddressFields,
    BootstrapAdmin,
    BootstrapOutcome,
    ChooseRole,
    DisableUser,
    EnableUser,
    EraseUser,
    GrantRole,
    RevokeRole,
    SignIn,
    UpdateProfile,
)
from domain.base import SYSTEM_ACTOR
from domain.identity.errors import (
    ActorNotAllowedError,
    InvalidProfileFieldError,
    RoleNotSelfServeError,
    UserDisabledError,
    UserErasedError,
)
from domain.identity.user import User
from domain.identity.values import Gender, Role
from domain.personal_data import ERASED
from tests.support.identity import (
    RevokedTokens,
    identity_application,
    identity_dispatcher,
)

GOOGLE = "https://accounts.google.com"
APPLE = "https://appleid.apple.com"


@dataclass
class Identity:
    """The application, its dispatcher and the refresh tokens it revoked."""

    app: IdentityApplication
    dispatcher: Dispatcher
    tokens: RevokedTokens

    def dispatch(self, command: Command[Any]) -> Any:
        return self.dispatcher.dispatch(command)


@pytest.fixture
def identity() -> Iterator[Identity]:
    tokens = RevokedTokens()
    application = identity_application(tokens)
    yield Identity(application, identity_dispatcher(application), tokens)
    application.close()


def as_user(user_id: UUID, correlation_id: str = "c") -> Actor:
    return Actor(user_id=str(user_id), correlation_id=correlation_id)


def sign_in(
    identity: Identity,
    issuer: str = GOOGLE,
    subject: str = "g-1",
    email: str | None = "ada@example.org",
    *,
    verified: bool = True,
    roles: frozenset[Role] = frozenset(),
) -> UUID:
    outcome = identity.dispatch(
        SignIn(
            actor=Actor.system(),
            issuer=issuer,
            subject=subject,
            email=email,
            email_verified=verified,
            given_name="Ada",
            family_name="Lovelace",
            sign_up_roles=roles,
        )
    )
    user_id: UUID = outcome.user_id
    return user_id


def make_admin(identity: Identity, email: str = "root@example.org") -> UUID:
    outcome: BootstrapOutcome = identity.dispatch(
        BootstrapAdmin(actor=Actor.system(), email=email)
    )
    return outcome.user_id


def test_first_sign_in_creates_the_user_and_later_ones_find_them(
    identity: Identity,
) -> None:
    first = identity.dispatch(
        SignIn(
            actor=Actor.system("c-1"),
            issuer=GOOGLE,
            subject="g-1",
            email="Ada@Example.org",
            email_verified=True,
            given_name="Ada",
            family_name="Lovelace",
            sign_up_roles=frozenset({Role.CANDIDATE}),
        )
    )
    # Check the user was created with the self-serve role and a normalised email.
    assert first.created
    assert first.roles == {Role.CANDIDATE}
    assert first.result.position is not None
    user = identity.app.get_user(first.user_id)
    assert user.email == "ada@example.org"
    assert user.first_name == "Ada"

    # Check the registration records the user as its own actor (not the system that
    # dispatched the sign-in), with the request's correlation.
    events = list(identity.app.events.get(first.user_id))
    assert events[0].actor_id == str(first.user_id)  # type: ignore[attr-defined]
    assert events[0].correlation_id == "c-1"  # type: ignore[attr-defined]

    # Check signing in again finds the same user and records nothing.
    again = identity.dispatch(
        SignIn(actor=Actor.system("c-2"), issuer=GOOGLE, subject="g-1", email=None)
    )
    assert again.user_id == first.user_id
    assert not again.created
    assert again.result.position is None


def test_another_provider_links_by_email_only_when_it_verified_it(
    identity: Identity,
) -> None:
    user_id = sign_in(identity, GOOGLE, "g-1", "ada@example.org")

    # Check an unverified email makes a separate user (no takeover by claiming it).
    stranger = sign_in(identity, APPLE, "a-1", "ada@example.org", verified=False)
    assert stranger != user_id

    # Check a verified email links the new identity to the existing user.
    linked = sign_in(identity, "https://www.facebook.com", "f-1", "ADA@example.org")
    assert linked == user_id
    issuers = {i.issuer for i in identity.app.get_user(user_id).identities}
    assert issuers == {GOOGLE, "https://www.facebook.com"}


def test_sign_up_refuses_roles_only_an_admin_grants(identity: Identity) -> None:
    with pytest.raises(RoleNotSelfServeError):
        sign_in(identity, roles=frozenset({Role.ADMIN}))


def test_profile_update_changes_only_the_fields_sent(identity: Identity) -> None:
    user_id = sign_in(identity)
    identity.dispatch(
        UpdateProfile(
            actor=as_user(user_id),
            user_id=user_id,
            phone="+14155550100",
            date_of_birth=date(1990, 5, 17),
            gender=Gender.PREFER_NOT_TO_SAY,
            address=AddressFields(line1="1 Main St", city="Springfield", country="US"),
        )
    )
    user = identity.app.get_user(user_id)
    assert user.phone == "+14155550100"
    assert user.date_of_birth == date(1990, 5, 17)
    assert user.gender is Gender.PREFER_NOT_TO_SAY
    assert user.address is not None
    assert user.address.city == "Springfield"
    assert user.first_name == "Ada"  # not sent: unchanged

    # Check null clears a field, and an unchanged profile records nothing.
    clear = UpdateProfile(actor=as_user(user_id), user_id=user_id, phone=None)
    cleared = identity.dispatch(clear)
    assert identity.app.get_user(user_id).phone is None
    same = identity.dispatch(clear)
    assert cleared.position is not None
    assert same.position is None


def test_profile_rules_name_the_field(identity: Identity) -> None:
    user_id = sign_in(identity)
    with pytest.raises(InvalidProfileFieldError) as raised:
        identity.dispatch(
            UpdateProfile(
                actor=as_user(user_id), user_id=user_id, date_of_birth=date(2999, 1, 1)
            )
        )
    assert raised.value.field == "date_of_birth"


def test_only_the_user_changes_their_own_profile_and_roles(
    identity: Identity,
) -> None:
    user_id = sign_in(identity)
    other_id = sign_in(identity, APPLE, "a-8", "eve@example.org")
    admin_id = make_admin(identity)

    # Check nobody else, not even an admin or the system, acts as the user here.
    for actor in (as_user(other_id), as_user(admin_id), Actor.system()):
        with pytest.raises(ActorNotAllowedError):
            identity.dispatch(UpdateProfile(actor=actor, user_id=user_id, phone=None))
        with pytest.raises(ActorNotAllowedError):
            identity.dispatch(ChooseRole(actor=actor, user_id=user_id, role=Role.NPO))
    assert identity.app.get_user(user_id).roles == set()


def test_only_an_active_admin_grants_revokes_and_disables(
    identity: Identity,
) -> None:
    admin_id = make_admin(identity)
    user_id = sign_in(identity, roles=frozenset({Role.CANDIDATE}))
    other_id = sign_in(identity, APPLE, "a-9", "bob@example.org")
    admin, user = as_user(admin_id), as_user(user_id)

    # Check a non-admin cannot escalate, not even themselves.
    with pytest.raises(ActorNotAllowedError):
        identity.dispatch(GrantRole(actor=user, user_id=user_id, role=Role.ADMIN))
    with pytest.raises(ActorNotAllowedError):
        identity.dispatch(DisableUser(actor=user, user_id=other_id, reason="x"))
    # Check nothing was revoked for refused commands.
    assert identity.tokens.revoked == []

    # Check an admin grants and revokes, and revoking ends the user's sessions.
    identity.dispatch(GrantRole(actor=admin, user_id=user_id, role=Role.CAREER_MENTOR))
    assert identity.app.get_user(user_id).roles == {Role.CANDIDATE, Role.CAREER_MENTOR}
    assert identity.tokens.revoked == []
    identity.dispatch(RevokeRole(actor=admin, user_id=user_id, role=Role.CANDIDATE))
    assert identity.app.get_user(user_id).roles == {Role.CAREER_MENTOR}
    assert identity.tokens.revoked == [user_id]

    # Check an admin cannot lock themselves out.
    with pytest.raises(ActorNotAllowedError):
        identity.dispatch(RevokeRole(actor=admin, user_id=admin_id, role=Role.ADMIN))
    assert identity.tokens.revoked == [user_id]

    # Check a disabled user cannot sign in (their sessions ended), and is enabled
    # again.
    identity.dispatch(DisableUser(actor=admin, user_id=user_id, reason="spam"))
    assert identity.tokens.revoked == [user_id, user_id]
    with pytest.raises(UserDisabledError):
        sign_in(identity)
    identity.dispatch(EnableUser(actor=admin, user_id=user_id))
    assert sign_in(identity) == user_id


def test_the_system_may_do_what_an_admin_does(identity: Identity) -> None:
    user_id = sign_in(identity, roles=frozenset({Role.CANDIDATE}))
    system = Actor.system("operator-1")

    # Check the operator (the command line, inbound messages) needs no admin user.
    identity.dispatch(GrantRole(actor=system, user_id=user_id, role=Role.ADMIN))
    identity.dispatch(RevokeRole(actor=system, user_id=user_id, role=Role.ADMIN))
    identity.dispatch(DisableUser(actor=system, user_id=user_id, reason="reported"))
    assert identity.app.get_user(user_id).disabled
    identity.dispatch(EnableUser(actor=system, user_id=user_id))
    identity.dispatch(EraseUser(actor=system, user_id=user_id))
    assert identity.app.get_user(user_id).erased
    assert identity.tokens.revoked == [user_id] * 3

    # Check its events name the system as the actor, with its correlation.
    events = list(identity.app.events.get(user_id))[1:]
    assert {e.actor_id for e in events} == {SYSTEM_ACTOR}  # type: ignore[attr-defined]
    assert {e.correlation_id for e in events} == {"operator-1"}  # type: ignore[attr-defined]

    # Check an actor that is no user at all is still refused.
    other_id = sign_in(identity, APPLE, "a-7", "cy@example.org")
    stranger = Actor(user_id="not-a-user", correlation_id="c")
    with pytest.raises(ActorNotAllowedError):
        identity.dispatch(DisableUser(actor=stranger, user_id=other_id, reason="x"))


def test_self_serve_role_is_chosen_but_admin_roles_are_not(
    identity: Identity,
) -> None:
    user_id = sign_in(identity)
    identity.dispatch(
        ChooseRole(actor=as_user(user_id), user_id=user_id, role=Role.NPO)
    )
    assert identity.app.get_user(user_id).roles == {Role.NPO}
    with pytest.raises(RoleNotSelfServeError):
        identity.dispatch(
            ChooseRole(
                actor=as_user(user_id), user_id=user_id, role=Role.COMMUNITY_LEADER
            )
        )


def test_bootstrap_admin_creates_then_links_at_first_sign_in(
    identity: Identity,
) -> None:
    admin_id = make_admin(identity, "Root@Example.org")
    # Check running it again changes nothing.
    again = identity.dispatch(
        BootstrapAdmin(actor=Actor.system(), email="root@example.org")
    )
    assert (again.user_id, again.action) == (admin_id, "unchanged")

    # Check the first sign-in with that verified email is the admin.
    signed_in = sign_in(identity, GOOGLE, "g-root", "root@example.org")
    assert signed_in == admin_id
    assert Role.ADMIN in identity.app.get_user(admin_id).roles

    # Check bootstrapping an existing user grants ADMIN.
    user_id = sign_in(identity, APPLE, "a-2", "carol@example.org")
    granted = identity.dispatch(
        BootstrapAdmin(actor=Actor.system(), email="carol@example.org")
    )
    assert (granted.user_id, granted.action) == (user_id, "granted")


def test_erasure_shreds_personal_data_and_frees_the_identity(
    identity: Identity,
) -> None:
    user_id = sign_in(identity)
    identity.dispatch(
        UpdateProfile(actor=as_user(user_id), user_id=user_id, phone="+14155550100")
    )
    identity.dispatch(EraseUser(actor=as_user(user_id), user_id=user_id))
    assert identity.tokens.revoked == [user_id]

    # Check the aggregate still loads, erased, without personal data.
    user = identity.app.get_user(user_id)
    assert user.erased
    assert (user.email, user.first_name, user.phone) == (None, None, None)

    # Check the old events still load, their personal fields read as erased.
    registered, updated = list(identity.app.events.get(user_id))[:2]
    assert isinstance(registered, User.Registered)
    assert registered.email == ERASED
    assert registered.first_name == ERASED
    assert isinstance(updated, User.ProfileUpdated)
    assert updated.phone == ERASED
    assert registered.roles == []  # not personal: still readable

    # Check nothing more can change, and the same person may start afresh.
    with pytest.raises(UserErasedError):
        identity.dispatch(
            UpdateProfile(actor=as_user(user_id), user_id=user_id, phone=None)
        )
    assert sign_in(identity) != user_id


def test_erasure_by_someone_else_needs_an_admin(identity: Identity) -> None:
    user_id = sign_in(identity)
    other_id = sign_in(identity, APPLE, "a-3", "dan@example.org")
    with pytest.raises(ActorNotAllowedError):
        identity.dispatch(EraseUser(actor=as_user(other_id), user_id=user_id))
    assert identity.tokens.revoked == []
    admin_id = make_admin(identity)
    identity.dispatch(EraseUser(actor=as_user(admin_id), user_id=user_id))
    assert identity.app.get_user(user_id).erased
    assert identity.tokens.revoked == [user_id]


def test_an_admin_cannot_erase_themselves_but_the_operator_can(
    identity: Identity,
) -> None:
    admin_id = make_admin(identity)
    other_admin_id = make_admin(identity, "second@example.org")
    admin = as_user(admin_id)

    # Check self-erasure is refused the way self-disabling is: nothing recorded,
    # no session ended, the personal data kept.
    version = identity.app.get_user(admin_id).version
    with pytest.raises(ActorNotAllowedError, match="cannot erase their own account"):
        identity.dispatch(EraseUser(actor=admin, user_id=admin_id))
    with pytest.raises(ActorNotAllowedError, match="cannot disable their own account"):
        identity.dispatch(DisableUser(actor=admin, user_id=admin_id, reason="x"))
    user = identity.app.get_user(admin_id)
    assert (user.erased, user.version, user.email) == (
        False,
        version,
        "root@example.org",
    )
    assert identity.tokens.revoked == []
    assert identity.app.vault.key_for_decryption(admin_id) is not None

    # Check once another admin revoked the ADMIN role, the user erases themselves.
    identity.dispatch(
        RevokeRole(actor=as_user(other_admin_id), user_id=admin_id, role=Role.ADMIN)
    )
    identity.dispatch(EraseUser(actor=admin, user_id=admin_id))
    assert identity.app.get_user(admin_id).erased

    # Check the operator (``spotlight admin erase-user``) erases an admin as well.
    identity.dispatch(EraseUser(actor=Actor.system("cli"), user_id=other_admin_id))
    assert identity.app.get_user(other_admin_id).erased


class FailingSaveError(Exception):
    pass


def test_tokens_are_revoked_only_after_the_events_are_saved(
    identity: Identity, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin_id = make_admin(identity)
    user_id = sign_in(identity, roles=frozenset({Role.CANDIDATE}))
    commands: list[Command[Any]] = [
        RevokeRole(actor=as_user(admin_id), user_id=user_id, role=Role.CANDIDATE),
        DisableUser(actor=as_user(admin_id), user_id=user_id, reason="spam"),
        EraseUser(actor=as_user(admin_id), user_id=user_id),
    ]

    def refuse(*aggregates: object) -> None:
        # Check nothing was revoked before saving.
        assert identity.tokens.revoked == []
        raise FailingSaveError

    with monkeypatch.context() as patched:
        patched.setattr(identity.app, "save_changes", refuse)
        for command in commands:
            with pytest.raises(FailingSaveError):
                identity.dispatch(command)
    # Check a failed save revokes nothing, and erases nothing (the key is kept).
    assert identity.tokens.revoked == []
    assert not identity.app.get_user(user_id).erased
    assert identity.app.vault.key_for_decryption(user_id) is not None

    for command in commands:
        identity.dispatch(command)
    assert identity.tokens.revoked == [user_id] * 3

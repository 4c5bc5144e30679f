"""Narratives of the identity application on the in-memory store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from uuid import UUID

import pytest

from commands.base import new_correlation_id
from commands.identity import (
    AddressFields,
    BootstrapAdmin,
    ChooseRole,
    DisableUser,
    EnableUser,
    EraseUser,
    GrantRole,
    IdentityApplication,
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
from tests.support.identity import identity_application

GOOGLE = "https://accounts.google.com"
APPLE = "https://appleid.apple.com"


@pytest.fixture
def app() -> Iterator[IdentityApplication]:
    application = identity_application()
    yield application
    application.close()


def sign_in(
    app: IdentityApplication,
    issuer: str = GOOGLE,
    subject: str = "g-1",
    email: str | None = "ada@example.org",
    *,
    verified: bool = True,
    roles: frozenset[Role] = frozenset(),
) -> UUID:
    outcome = app.sign_in(
        SignIn(
            correlation_id=new_correlation_id(),
            issuer=issuer,
            subject=subject,
            email=email,
            email_verified=verified,
            given_name="Ada",
            family_name="Lovelace",
            sign_up_roles=roles,
        )
    )
    return outcome.user_id


def make_admin(app: IdentityApplication, email: str = "root@example.org") -> UUID:
    outcome = app.bootstrap_admin(
        BootstrapAdmin(
            actor_id=SYSTEM_ACTOR, correlation_id=new_correlation_id(), email=email
        )
    )
    return outcome.user_id


def test_first_sign_in_creates_the_user_and_later_ones_find_them(
    app: IdentityApplication,
) -> None:
    first = app.sign_in(
        SignIn(
            correlation_id="c-1",
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
    user = app.get_user(first.user_id)
    assert user.email == "ada@example.org"
    assert user.first_name == "Ada"

    # Check the registration records the user as its own actor, with the correlation.
    events = list(app.events.get(first.user_id))
    assert events[0].actor_id == str(first.user_id)  # type: ignore[attr-defined]
    assert events[0].correlation_id == "c-1"  # type: ignore[attr-defined]

    # Check signing in again finds the same user and records nothing.
    again = app.sign_in(
        SignIn(correlation_id="c-2", issuer=GOOGLE, subject="g-1", email=None)
    )
    assert again.user_id == first.user_id
    assert not again.created
    assert again.result.position is None


def test_another_provider_links_by_email_only_when_it_verified_it(
    app: IdentityApplication,
) -> None:
    user_id = sign_in(app, GOOGLE, "g-1", "ada@example.org")

    # Check an unverified email makes a separate user (no takeover by claiming it).
    stranger = sign_in(app, APPLE, "a-1", "ada@example.org", verified=False)
    assert stranger != user_id

    # Check a verified email links the new identity to the existing user.
    linked = sign_in(app, "https://www.facebook.com", "f-1", "ADA@example.org")
    assert linked == user_id
    issuers = {i.issuer for i in app.get_user(user_id).identities}
    assert issuers == {GOOGLE, "https://www.facebook.com"}


def test_sign_up_refuses_roles_only_an_admin_grants(app: IdentityApplication) -> None:
    with pytest.raises(RoleNotSelfServeError):
        sign_in(app, roles=frozenset({Role.ADMIN}))


def test_profile_update_changes_only_the_fields_sent(app: IdentityApplication) -> None:
    user_id = sign_in(app)
    app.update_profile(
        UpdateProfile(
            actor_id=str(user_id),
            correlation_id="c",
            user_id=user_id,
            phone="+14155550100",
            date_of_birth=date(1990, 5, 17),
            gender=Gender.PREFER_NOT_TO_SAY,
            address=AddressFields(line1="1 Main St", city="Springfield", country="US"),
        )
    )
    user = app.get_user(user_id)
    assert user.phone == "+14155550100"
    assert user.date_of_birth == date(1990, 5, 17)
    assert user.gender is Gender.PREFER_NOT_TO_SAY
    assert user.address is not None
    assert user.address.city == "Springfield"
    assert user.first_name == "Ada"  # not sent: unchanged

    # Check null clears a field, and an unchanged profile records nothing.
    cleared = app.update_profile(
        UpdateProfile(
            actor_id=str(user_id), correlation_id="c", user_id=user_id, phone=None
        )
    )
    assert app.get_user(user_id).phone is None
    same = app.update_profile(
        UpdateProfile(
            actor_id=str(user_id), correlation_id="c", user_id=user_id, phone=None
        )
    )
    assert cleared.position is not None
    assert same.position is None


def test_profile_rules_name_the_field(app: IdentityApplication) -> None:
    user_id = sign_in(app)
    with pytest.raises(InvalidProfileFieldError) as raised:
        app.update_profile(
            UpdateProfile(
                actor_id=str(user_id),
                correlation_id="c",
                user_id=user_id,
                date_of_birth=date(2999, 1, 1),
            )
        )
    assert raised.value.field == "date_of_birth"


def test_only_an_active_admin_grants_revokes_and_disables(
    app: IdentityApplication,
) -> None:
    admin_id = make_admin(app)
    user_id = sign_in(app, roles=frozenset({Role.CANDIDATE}))
    other_id = sign_in(app, APPLE, "a-9", "bob@example.org")

    # Check a non-admin cannot escalate, not even themselves.
    with pytest.raises(ActorNotAllowedError):
        app.grant_role(
            GrantRole(
                actor_id=str(user_id),
                correlation_id="c",
                user_id=user_id,
                role=Role.ADMIN,
            )
        )
    with pytest.raises(ActorNotAllowedError):
        app.disable(
            DisableUser(
                actor_id=str(user_id), correlation_id="c", user_id=other_id, reason="x"
            )
        )

    # Check an admin grants and revokes.
    app.grant_role(
        GrantRole(
            actor_id=str(admin_id),
            correlation_id="c",
            user_id=user_id,
            role=Role.CAREER_MENTOR,
        )
    )
    assert app.get_user(user_id).roles == {Role.CANDIDATE, Role.CAREER_MENTOR}
    app.revoke_role(
        RevokeRole(
            actor_id=str(admin_id),
            correlation_id="c",
            user_id=user_id,
            role=Role.CANDIDATE,
        )
    )
    assert app.get_user(user_id).roles == {Role.CAREER_MENTOR}

    # Check an admin cannot lock themselves out.
    with pytest.raises(ActorNotAllowedError):
        app.revoke_role(
            RevokeRole(
                actor_id=str(admin_id),
                correlation_id="c",
                user_id=admin_id,
                role=Role.ADMIN,
            )
        )

    # Check a disabled user cannot sign in, and is enabled again.
    app.disable(
        DisableUser(
            actor_id=str(admin_id), correlation_id="c", user_id=user_id, reason="spam"
        )
    )
    with pytest.raises(UserDisabledError):
        sign_in(app)
    app.enable(EnableUser(actor_id=str(admin_id), correlation_id="c", user_id=user_id))
    assert sign_in(app) == user_id


def test_self_serve_role_is_chosen_but_admin_roles_are_not(
    app: IdentityApplication,
) -> None:
    user_id = sign_in(app)
    app.choose_role(
        ChooseRole(
            actor_id=str(user_id), correlation_id="c", user_id=user_id, role=Role.NPO
        )
    )
    assert app.get_user(user_id).roles == {Role.NPO}
    with pytest.raises(RoleNotSelfServeError):
        app.choose_role(
            ChooseRole(
                actor_id=str(user_id),
                correlation_id="c",
                user_id=user_id,
                role=Role.COMMUNITY_LEADER,
            )
        )


def test_bootstrap_admin_creates_then_links_at_first_sign_in(
    app: IdentityApplication,
) -> None:
    admin_id = make_admin(app, "Root@Example.org")
    # Check running it again changes nothing.
    again = app.bootstrap_admin(
        BootstrapAdmin(
            actor_id=SYSTEM_ACTOR, correlation_id="c", email="root@example.org"
        )
    )
    assert (again.user_id, again.action) == (admin_id, "unchanged")

    # Check the first sign-in with that verified email is the admin.
    signed_in = sign_in(app, GOOGLE, "g-root", "root@example.org")
    assert signed_in == admin_id
    assert Role.ADMIN in app.get_user(admin_id).roles

    # Check bootstrapping an existing user grants ADMIN.
    user_id = sign_in(app, APPLE, "a-2", "carol@example.org")
    granted = app.bootstrap_admin(
        BootstrapAdmin(
            actor_id=SYSTEM_ACTOR, correlation_id="c", email="carol@example.org"
        )
    )
    assert (granted.user_id, granted.action) == (user_id, "granted")


def test_erasure_shreds_personal_data_and_frees_the_identity(
    app: IdentityApplication,
) -> None:
    user_id = sign_in(app)
    app.update_profile(
        UpdateProfile(
            actor_id=str(user_id),
            correlation_id="c",
            user_id=user_id,
            phone="+14155550100",
        )
    )
    app.erase(EraseUser(actor_id=str(user_id), correlation_id="c", user_id=user_id))

    # Check the aggregate still loads, erased, without personal data.
    user = app.get_user(user_id)
    assert user.erased
    assert (user.email, user.first_name, user.phone) == (None, None, None)

    # Check the old events still load, their personal fields read as erased.
    registered, updated = list(app.events.get(user_id))[:2]
    assert isinstance(registered, User.Registered)
    assert registered.email == ERASED
    assert registered.first_name == ERASED
    assert isinstance(updated, User.ProfileUpdated)
    assert updated.phone == ERASED
    assert registered.roles == []  # not personal: still readable

    # Check nothing more can change, and the same person may start afresh.
    with pytest.raises(UserErasedError):
        app.update_profile(
            UpdateProfile(
                actor_id=str(user_id), correlation_id="c", user_id=user_id, phone=None
            )
        )
    assert sign_in(app) != user_id


def test_erasure_by_someone_else_needs_an_admin(app: IdentityApplication) -> None:
    user_id = sign_in(app)
    other_id = sign_in(app, APPLE, "a-3", "dan@example.org")
    with pytest.raises(ActorNotAllowedError):
        app.erase(
            EraseUser(actor_id=str(other_id), correlation_id="c", user_id=user_id)
        )
    admin_id = make_admin(app)
    app.erase(EraseUser(actor_id=str(admin_id), correlation_id="c", user_id=user_id))
    assert app.get_user(user_id).erased

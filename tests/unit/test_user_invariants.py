"""Hypothesis drives a User through any sequence of commands; its rules always hold."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from domain.base import DomainError, acting_as
from domain.identity.user import OPERATOR, Operator, User
from domain.identity.values import (
    SELF_SERVE_ROLES,
    Gender,
    LinkedIdentity,
    Profile,
    Role,
)
from domain.text import NAME

TODAY = date(2026, 1, 1)
# Who grants: an admin, the operator (the system), or a user with no roles.
BY = ("admin", "operator", "stranger")

names = st.one_of(st.none(), st.text(min_size=1, max_size=20).filter(str.strip))
phones = st.one_of(st.none(), st.from_regex(r"\+[1-9][0-9]{6,14}", fullmatch=True))
births = st.one_of(st.none(), st.dates(date(1900, 1, 1), date(2030, 1, 1)))


def new_user(roles: frozenset[Role] = frozenset()) -> User:
    with acting_as("system", "hypothesis"):
        return User.register(
            uuid4(),
            LinkedIdentity("https://issuer.example", uuid4().hex),
            email="someone@example.org",
            email_verified=True,
            first_name="Some",
            last_name="One",
            roles=roles,
        )


def admin() -> User:
    with acting_as("system", "hypothesis"):
        return User.register_first_admin(uuid4(), "root@example.org")


class UserMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.user = new_user(frozenset({Role.CANDIDATE}))
        self.admin = admin()
        self.stranger = new_user()
        self.events = list(self.user.collect_events())

    def _record(self) -> None:
        self.events.extend(self.user.collect_events())

    @rule(role=st.sampled_from(list(Role)), by=st.sampled_from(BY))
    def grant(self, role: Role, by: str) -> None:
        before = set(self.user.roles)
        actors: dict[str, User | Operator] = {
            "admin": self.admin,
            "operator": OPERATOR,
            "stranger": self.stranger,
        }
        actor = actors[by]
        try:
            self.user.grant_role(role, granted_by=actor)
        except DomainError:
            assert by == "stranger" or self.user.erased
            assert self.user.roles == before
        self._record()

    @rule(role=st.sampled_from(list(Role)), by_admin=st.booleans())
    def revoke(self, role: Role, by_admin: bool) -> None:
        before = set(self.user.roles)
        try:
            self.user.revoke_role(
                role, revoked_by=self.admin if by_admin else self.user
            )
        except DomainError:
            assert self.user.roles == before
        self._record()

    @rule(role=st.sampled_from(list(Role)))
    def choose(self, role: Role) -> None:
        before = set(self.user.roles)
        try:
            self.user.choose_role(role)
        except DomainError:
            assert role not in SELF_SERVE_ROLES or not self.user.is_active
            assert self.user.roles == before
        self._record()

    @rule(
        first=names,
        phone=phones,
        born=births,
        gender=st.one_of(st.none(), st.sampled_from(list(Gender))),
    )
    def update(
        self,
        first: str | None,
        phone: str | None,
        born: date | None,
        gender: Gender | None,
    ) -> None:
        profile = Profile(
            first_name=first, phone=phone, date_of_birth=born, gender=gender
        )
        try:
            self.user.update_profile(profile, today=TODAY)
        except DomainError:
            assert (
                not self.user.is_active
                or (born is not None and born > TODAY)
                or (first is not None and NAME.kept(first) is None)
            )
        else:
            assert self.user.phone == phone
            # Check a name is kept trimmed, in one normal form.
            assert self.user.first_name == NAME.kept(first)
        self._record()

    @rule(by_operator=st.booleans())
    def disable(self, by_operator: bool) -> None:
        try:
            self.user.disable(
                "rules", disabled_by=OPERATOR if by_operator else self.admin
            )
        except DomainError:
            assert self.user.erased
        self._record()

    @rule()
    def enable(self) -> None:
        try:
            self.user.enable(enabled_by=self.admin)
        except DomainError:
            assert self.user.erased
        self._record()

    @rule(by_admin=st.booleans())
    def erase(self, by_admin: bool) -> None:
        try:
            self.user.erase(erased_by=self.admin if by_admin else self.user)
        except DomainError:
            # An admin may not erase themselves; another admin may.
            assert not by_admin
            assert Role.ADMIN in self.user.roles
            assert not self.user.erased
        self._record()

    @invariant()
    def erased_users_hold_no_personal_data(self) -> None:
        if self.user.erased:
            assert self.user.profile == Profile()
            assert self.user.email is None
            assert self.user.identities == []

    @invariant()
    def replaying_the_events_gives_the_same_user(self) -> None:
        copy: User | None = None
        for event in self.events:
            copy = event.mutate(copy)
        assert copy is not None
        assert copy.roles == self.user.roles
        assert copy.profile == self.user.profile
        assert (copy.disabled, copy.erased) == (self.user.disabled, self.user.erased)
        assert copy.version == self.user.version

    @invariant()
    def every_event_names_its_actor(self) -> None:
        assert all(getattr(e, "actor_id", None) for e in self.events)


# No deadline: one slow step on a loaded CI machine is not a broken rule.
UserMachine.TestCase.settings = settings(
    max_examples=60,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestUserInvariants = UserMachine.TestCase

"""A user as the identity views hold them, and how ``User`` events change that.

``UserInfo`` is the typed row both views keep (``users_view``, ``user_cache``) and
their readers answer. ``fold_user_event`` is the one fold of ``User`` events into it:
an erased user (or one never registered) is None. ``to_document`` and
``from_document`` are its JSON form, which the cache stores.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from domain.identity.user import User
from domain.identity.values import Address, Gender, Role
from domain.personal_data import is_erased
from projections.contracts import ProjectedEvent

# The events the views fold, by topic: anything else (the claims') is skipped
# before it is decoded.
USER_TOPICS = frozenset(
    get_topic(event_class)
    for event_class in (
        User.Registered,
        User.ProfileUpdated,
        User.RoleGranted,
        User.RoleRevoked,
        User.Disabled,
        User.Enabled,
        User.Erased,
        User.IdentityLinked,
    )
)


@dataclass(frozen=True)
class UserInfo:
    id: UUID
    version: int
    email: str | None
    first_name: str | None
    last_name: str | None
    date_of_birth: date | None
    address: Address | None
    gender: Gender | None
    phone: str | None
    roles: frozenset[Role]
    disabled: bool
    created_at: str
    updated_at: str


# --- The fold -------------------------------------------------------------------------


def fold_user_event(current: UserInfo | None, item: ProjectedEvent) -> UserInfo | None:
    """The user after ``item`` (one of ``USER_TOPICS``); None once erased."""
    event = item.event
    timestamp = getattr(event, "timestamp", None)
    stamp = timestamp.isoformat() if timestamp is not None else ""
    if isinstance(event, User.Registered):
        return UserInfo(
            id=item.originator_id,
            version=item.originator_version,
            email=_text(event.email),
            first_name=_text(event.first_name),
            last_name=_text(event.last_name),
            date_of_birth=None,
            address=None,
            gender=None,
            phone=None,
            roles=frozenset(Role(r) for r in event.roles),
            disabled=False,
            created_at=stamp,
            updated_at=stamp,
        )
    if isinstance(event, User.Erased) or current is None:
        return None
    changed = replace(current, version=item.originator_version, updated_at=stamp)
    if isinstance(event, User.ProfileUpdated):
        birth, gender = _text(event.date_of_birth), _text(event.gender)
        return replace(
            changed,
            first_name=_text(event.first_name),
            last_name=_text(event.last_name),
            date_of_birth=date.fromisoformat(birth) if birth else None,
            address=Address.from_state(event.address),
            gender=Gender(gender) if gender else None,
            phone=_text(event.phone),
        )
    roles, disabled = changed.roles, changed.disabled
    if isinstance(event, User.RoleGranted):
        roles = roles | {Role(event.role)}
    elif isinstance(event, User.RoleRevoked):
        roles = roles - {Role(event.role)}
    elif isinstance(event, User.Disabled | User.Enabled):
        disabled = isinstance(event, User.Disabled)
    return replace(changed, roles=roles, disabled=disabled)


def _text(value: object) -> str | None:
    # Events of an erased user still load, with personal fields as ERASED.
    return value if isinstance(value, str) and not is_erased(value) else None


# --- The JSON document ----------------------------------------------------------------


def to_document(user: UserInfo) -> dict[str, Any]:
    return {
        "id": str(user.id),
        "version": user.version,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "date_of_birth": user.date_of_birth.isoformat() if user.date_of_birth else None,
        "address": user.address.to_state() if user.address else None,
        "gender": user.gender.value if user.gender else None,
        "phone": user.phone,
        "roles": sorted(role.value for role in user.roles),
        "disabled": user.disabled,
        "created_at": user.created_at,
        "updated_at": user.updated_at,
    }


def from_document(document: dict[str, Any]) -> UserInfo:
    birth = document.get("date_of_birth")
    gender = document.get("gender")
    return UserInfo(
        id=UUID(str(document["id"])),
        version=int(document["version"]),
        email=document.get("email"),
        first_name=document.get("first_name"),
        last_name=document.get("last_name"),
        date_of_birth=date.fromisoformat(birth) if birth else None,
        address=Address.from_state(document.get("address")),
        gender=Gender(gender) if gender else None,
        phone=document.get("phone"),
        roles=frozenset(Role(r) for r in document.get("roles", [])),
        disabled=bool(document.get("disabled")),
        created_at=str(document.get("created_at", "")),
        updated_at=str(document.get("updated_at", "")),
    )

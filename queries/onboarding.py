"""Reads over the onboarding views: NPOs, offerings, communities, reports.

Everything here reads views (``projections.onboarding``), never aggregates. Who may
see what is decided here too, beside the data, so every entry point applies the same
rules:

- an NPO's full record (contact, registration id, statuses): its members, its
  assigned leader, admins. Anyone signed in sees the public part of an *approved*
  NPO;
- an offering in any status: the same people. Anyone else sees only ``ACTIVE``
  offerings of approved NPOs (the rule of A3).
"""

# Table names come from ViewNames (code), never from input; values are parameters.
# ruff: noqa: S608

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from domain.base import NotFoundError
from ports.blobs import BlobStore
from ports.documents import DocumentStore, JSONDocument
from ports.relational import RelationalStore, Row, SqlSession
from projections.contracts import ViewNames
from projections.engine import active_version
from projections.onboarding.npos import NPOS_PROJECTION
from projections.onboarding.offerings import OFFERINGS_COLLECTION, OFFERINGS_PROJECTION
from queries.cursors import decode_cursor, encode_cursor

ROLE_ADMIN = "ADMIN"
MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 50


@dataclass(frozen=True)
class Viewer:
    """Who reads: their user id and roles."""

    user_id: str
    roles: frozenset[str]

    @property
    def is_admin(self) -> bool:
        return ROLE_ADMIN in self.roles


@dataclass(frozen=True)
class Page:
    items: list[Any]
    next_cursor: str | None


def _decode_cursor(cursor: str | None, size: int) -> list[str] | None:
    return decode_cursor(cursor, size) if cursor else None


def page_size(limit: int | None) -> int:
    return max(1, min(limit or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE))


# --- Views' names --------------------------------------------------------------------


def _names(session: SqlSession) -> ViewNames:
    return ViewNames(NPOS_PROJECTION, active_version(session, NPOS_PROJECTION))


def _collection(views: RelationalStore) -> str:
    with views.transaction() as session:
        version = active_version(session, OFFERINGS_PROJECTION)
    return ViewNames(OFFERINGS_PROJECTION, version).collection(OFFERINGS_COLLECTION)


# --- NPOs ----------------------------------------------------------------------------

_NPO_COLUMNS = (
    "id, name, description, registration_id, website, region, location, contact, "
    "service_areas, creator_id, registration_status, completed_at, "
    "verification_status, verification_reason, verified_by, approved, approved_at, "
    "deleted, deleted_reason, leader_id, leader_community_id, leader_assigned_at, "
    "primary_community_id, waiting_in, waiting_since, created_at, updated_at, version"
)


@dataclass(frozen=True)
class NpoRecord:
    id: str
    name: str
    description: str | None
    registration_id: str
    website: str | None
    region: str | None
    location: dict[str, Any]
    contact: dict[str, Any]
    service_areas: list[str]
    creator_id: str
    registration_status: str
    completed_at: str | None
    verification_status: str
    verification_reason: str | None
    verified_by: str | None
    approved: bool
    approved_at: str | None
    deleted: bool
    deleted_reason: str | None
    leader_id: str | None
    leader_community_id: str | None
    leader_assigned_at: str | None
    primary_community_id: str | None
    waiting_in: str | None
    waiting_since: str | None
    created_at: str
    updated_at: str
    version: int
    members: list[str] = field(default_factory=list)
    community_ids: list[str] = field(default_factory=list)
    offering_ids: list[str] = field(default_factory=list)

    def is_member(self, user_id: str) -> bool:
        return user_id in self.members

    def insider(self, viewer: Viewer) -> bool:
        """May see everything about the NPO: members, its leader, admins."""
        return (
            viewer.is_admin
            or self.is_member(viewer.user_id)
            or (self.leader_id is not None and self.leader_id == viewer.user_id)
        )

    @property
    def public(self) -> bool:
        return self.approved and not self.deleted


def _npo(row: Row) -> NpoRecord:
    values = list(row)
    for index in (6, 7, 8):
        values[index] = json.loads(values[index])
    for index in (15, 17):
        values[index] = bool(values[index])
    values[27] = int(values[27])
    return NpoRecord(*values)


def get_npo(views: RelationalStore, npo_id: str) -> NpoRecord | None:
    with views.transaction() as session:
        names = _names(session)
        row = session.fetchone(
            f"SELECT {_NPO_COLUMNS} FROM {names.table('onb_npos')} WHERE id = %s",
            (npo_id,),
        )
        if row is None:
            return None
        record = _npo(row)
        members = session.fetchall(
            f"SELECT user_id FROM {names.table('onb_npo_members')} WHERE npo_id = %s "
            "ORDER BY added_at, user_id",
            (npo_id,),
        )
        communities = session.fetchall(
            f"SELECT community_id FROM {names.table('onb_npo_communities')} "
            "WHERE npo_id = %s ORDER BY rank",
            (npo_id,),
        )
        offerings = session.fetchall(
            f"SELECT offering_id FROM {names.table('onb_npo_offerings')} "
            "WHERE npo_id = %s ORDER BY recorded_at, offering_id",
            (npo_id,),
        )
    record.members.extend(str(r[0]) for r in members)
    record.community_ids.extend(str(r[0]) for r in communities)
    record.offering_ids.extend(str(r[0]) for r in offerings)
    return record


def visible_npo(
    views: RelationalStore, viewer: Viewer, npo_id: str
) -> NpoRecord | None:
    """The NPO if the viewer may see at least its public part."""
    record = get_npo(views, npo_id)
    if record is None or not (record.insider(viewer) or record.public):
        return None
    return record


def _npo_page(
    views: RelationalStore,
    where: str,
    params: Sequence[Any],
    cursor: str | None,
    limit: int | None,
    *,
    join_members: bool = False,
) -> Page:
    size = page_size(limit)
    after = _decode_cursor(cursor, 2)
    with views.transaction() as session:
        names = _names(session)
        npos = names.table("onb_npos")
        source = npos
        if join_members:
            members = names.table("onb_npo_members")
            source = f"{npos} JOIN {members} m ON m.npo_id = {npos}.id"
        clause = where
        values = list(params)
        if after is not None:
            clause += f" AND ({npos}.created_at, {npos}.id) > (%s, %s)"
            values.extend(after)
        columns = ", ".join(f"{npos}.{c.strip()}" for c in _NPO_COLUMNS.split(","))
        rows = session.fetchall(
            f"SELECT {columns} FROM {source} WHERE {clause} "
            f"ORDER BY {npos}.created_at, {npos}.id LIMIT %s",
            (*values, size + 1),
        )
    items = [_npo(r) for r in rows[:size]]
    more = len(rows) > size
    next_cursor = (
        encode_cursor(items[-1].created_at, items[-1].id) if more and items else None
    )
    return Page(items, next_cursor)


def npos_of_member(
    views: RelationalStore, user_id: str, cursor: str | None, limit: int | None
) -> Page:
    """The NPOs the user belongs to (deleted ones too: they may want to know)."""
    return _npo_page(
        views, "m.user_id = %s", (user_id,), cursor, limit, join_members=True
    )


def npos_of_leader(
    views: RelationalStore, leader_id: str, cursor: str | None, limit: int | None
) -> Page:
    """The leader's report (CL6, first cut): NPOs assigned to them now."""
    return _npo_page(views, "leader_id = %s", (leader_id,), cursor, limit)


def npos_admin(
    views: RelationalStore,
    *,
    registration: str | None,
    verification: str | None,
    approved: bool | None,
    waiting: bool | None,
    cursor: str | None,
    limit: int | None,
) -> Page:
    """Admins' list, filtered (what to approve, what is flagged, who waits)."""
    clauses: list[str] = ["deleted = 0"]
    params: list[Any] = []
    if registration:
        clauses.append("registration_status = %s")
        params.append(registration)
    if verification:
        clauses.append("verification_status = %s")
        params.append(verification)
    if approved is not None:
        clauses.append("approved = %s")
        params.append(1 if approved else 0)
    if waiting is not None:
        clauses.append("waiting_in IS NOT NULL" if waiting else "waiting_in IS NULL")
    return _npo_page(views, " AND ".join(clauses), params, cursor, limit)


def npo_of_offering(views: RelationalStore, offering_id: str) -> str | None:
    """The Kafka flow's mapping: which NPO an offering was recorded for."""
    with views.transaction() as session:
        names = _names(session)
        row = session.fetchone(
            f"SELECT npo_id FROM {names.table('onb_npo_offerings')} "
            "WHERE offering_id = %s",
            (offering_id,),
        )
    return str(row[0]) if row else None


# --- Offerings ---------------------------------------------------------------------


def _public_offering(document: JSONDocument) -> JSONDocument:
    """What leaves the service: no internal guard, no storage keys."""
    result = {k: v for k, v in document.items() if k not in {"_id", "_version"}}
    result["id"] = document["_id"]
    result["resources"] = [
        {k: v for k, v in r.items() if k != "key"}
        for r in document.get("resources", [])
    ]
    return result


def _may_see_offering(
    document: JSONDocument, npo: NpoRecord | None, viewer: Viewer
) -> bool:
    if npo is None:
        return viewer.is_admin
    if npo.insider(viewer):
        return True
    return npo.public and document.get("status") == "ACTIVE"


@dataclass(frozen=True)
class OfferingView:
    document: JSONDocument  # as shown to the caller
    npo: NpoRecord | None
    keys: dict[str, str]  # resource id -> object-store key (for downloads)

    @property
    def id(self) -> str:
        return str(self.document["id"])

    @property
    def version(self) -> int:
        return int(self.document.get("version", 0))


def get_offering(
    views: RelationalStore,
    documents: DocumentStore,
    viewer: Viewer,
    offering_id: str,
) -> OfferingView | None:
    """The offering if the viewer may see it, else None (not found, to them)."""
    document = documents.get(_collection(views), offering_id)
    if document is None or document.get("status") == "DELETED":
        return None
    npo = get_npo(views, str(document.get("npo_id")))
    if not _may_see_offering(document, npo, viewer):
        return None
    keys = {str(r["id"]): str(r["key"]) for r in document.get("resources", [])}
    return OfferingView(_public_offering(document), npo, keys)


def offerings_of_npo(
    views: RelationalStore,
    documents: DocumentStore,
    viewer: Viewer,
    npo_id: str,
    *,
    statuses: Collection[str] = ("ACTIVE",),
    cursor: str | None = None,
    limit: int | None = None,
) -> Page | None:
    """An NPO's offerings the viewer may see; None when the NPO is not visible."""
    npo = visible_npo(views, viewer, npo_id)
    if npo is None:
        return None
    allowed = set(statuses) if npo.insider(viewer) else {"ACTIVE"} & set(statuses)
    if not allowed:
        return Page([], None)
    found = documents.find(
        _collection(views),
        {"npo_id": npo_id, "status": {"$in": sorted(allowed)}},
        sort=[("created_at", 1), ("_id", 1)],
    )
    after = _decode_cursor(cursor, 2)
    if after is not None:
        found = [d for d in found if (d.get("created_at", ""), d["_id"]) > tuple(after)]
    size = page_size(limit)
    items = [_public_offering(d) for d in found[:size]]
    more = len(found) > size
    next_cursor = (
        encode_cursor(items[-1].get("created_at", ""), items[-1]["id"])
        if more and items
        else None
    )
    return Page(items, next_cursor)


DOWNLOAD_URL_SECONDS = 5 * 60


@dataclass(frozen=True)
class DownloadLink:
    """A short-lived presigned URL to a file, and what the file is."""

    url: str
    expires_in_seconds: int
    filename: str
    content_type: str
    size: int | None


def resource_download(
    views: RelationalStore,
    documents: DocumentStore,
    blobs: BlobStore,
    viewer: Viewer,
    *,
    offering_id: str,
    resource_id: str,
) -> DownloadLink:
    """A ready file of an offering the viewer may see (``NotFoundError`` if not)."""
    found = get_offering(views, documents, viewer, offering_id)
    if found is None:
        raise NotFoundError("No such offering.")
    resource = next(
        (r for r in found.document["resources"] if r["id"] == resource_id), None
    )
    if resource is None or resource["state"] != "READY":
        raise NotFoundError("No such file.")
    url = blobs.presigned_get_url(found.keys[resource_id], DOWNLOAD_URL_SECONDS)
    return DownloadLink(
        url=url,
        expires_in_seconds=DOWNLOAD_URL_SECONDS,
        filename=resource["filename"],
        content_type=resource["content_type"],
        size=resource["size"],
    )


# --- Reports ---------------------------------------------------------------------


@dataclass(frozen=True)
class NpoReport:
    """NP5, first cut: the profile, its state, and its offerings with their status."""

    npo: NpoRecord
    offerings: list[JSONDocument]
    offering_counts: dict[str, int]


def npo_report(
    views: RelationalStore, documents: DocumentStore, viewer: Viewer, npo_id: str
) -> NpoReport | None:
    """For the NPO's members and admins only (None for anyone else)."""
    npo = get_npo(views, npo_id)
    if npo is None or not (npo.is_member(viewer.user_id) or viewer.is_admin):
        return None
    found = documents.find(
        _collection(views), {"npo_id": npo_id}, sort=[("created_at", 1), ("_id", 1)]
    )
    offerings = [_public_offering(d) for d in found if d.get("status") != "DELETED"]
    counts: dict[str, int] = {}
    for document in found:
        status = str(document.get("status"))
        counts[status] = counts.get(status, 0) + 1
    return NpoReport(npo, offerings, counts)


# --- Communities, leaders, platform -------------------------------------------------


@dataclass(frozen=True)
class CommunityRecord:
    id: str
    name: str
    description: str | None
    tags: list[str]
    is_default: bool
    founded_by: str
    created_at: str
    leaders: list[str]
    waiting: list[str]  # NPO ids in serving order


def _communities(session: SqlSession, where: str, params: Sequence[Any]) -> list[Any]:
    names = _names(session)
    rows = session.fetchall(
        "SELECT id, name, description, tags, is_default, founded_by, created_at "
        f"FROM {names.table('onb_communities')} {where} ORDER BY created_at, id",
        params,
    )
    leaders: dict[str, list[str]] = {}
    for community_id, leader_id in session.fetchall(
        f"SELECT community_id, leader_id FROM {names.table('onb_community_leaders')} "
        "ORDER BY joined_at, leader_id"
    ):
        leaders.setdefault(str(community_id), []).append(str(leader_id))
    waiting: dict[str, list[str]] = {}
    for community_id, npo_id in session.fetchall(
        f"SELECT community_id, npo_id FROM {names.table('onb_waiting')} "
        "ORDER BY since, npo_id"
    ):
        waiting.setdefault(str(community_id), []).append(str(npo_id))
    return [
        CommunityRecord(
            id=str(r[0]),
            name=str(r[1]),
            description=r[2],
            tags=json.loads(r[3]),
            is_default=bool(r[4]),
            founded_by=str(r[5]),
            created_at=str(r[6]),
            leaders=leaders.get(str(r[0]), []),
            waiting=waiting.get(str(r[0]), []),
        )
        for r in rows
    ]


def list_communities(views: RelationalStore) -> list[CommunityRecord]:
    with views.transaction() as session:
        return list(_communities(session, "", ()))


def get_community(views: RelationalStore, community_id: str) -> CommunityRecord | None:
    with views.transaction() as session:
        found = _communities(session, "WHERE id = %s", (community_id,))
    return found[0] if found else None


@dataclass(frozen=True)
class LeaderRecord:
    leader_id: str
    npo_cap: int | None
    effective_cap: int
    active_npos: int
    communities: list[str]


def list_leaders(views: RelationalStore) -> list[LeaderRecord]:
    with views.transaction() as session:
        names = _names(session)
        default_cap = _policy(session, names)[0]
        communities: dict[str, list[str]] = {}
        for community_id, leader_id in session.fetchall(
            f"SELECT community_id, leader_id FROM "
            f"{names.table('onb_community_leaders')} ORDER BY joined_at, community_id"
        ):
            communities.setdefault(str(leader_id), []).append(str(community_id))
        rows = session.fetchall(
            f"SELECT leader_id, npo_cap, active_npos FROM {names.table('onb_leaders')} "
            "ORDER BY leader_id"
        )
    return [
        LeaderRecord(
            leader_id=str(r[0]),
            npo_cap=r[1],
            effective_cap=r[1] if r[1] is not None else default_cap,
            active_npos=int(r[2]),
            communities=communities.get(str(r[0]), []),
        )
        for r in rows
    ]


def _policy(session: SqlSession, names: ViewNames) -> tuple[int, int]:
    row = session.fetchone(
        "SELECT leader_npo_cap, communities_per_leader "
        f"FROM {names.table('onb_policy')} WHERE id = 1"
    )
    assert row is not None
    return int(row[0]), int(row[1])


def get_policy(views: RelationalStore) -> tuple[int, int]:
    """(default NPO cap per leader, communities per leader)."""
    with views.transaction() as session:
        return _policy(session, _names(session))


def list_categories(views: RelationalStore) -> dict[str, str]:
    with views.transaction() as session:
        names = _names(session)
        rows = session.fetchall(
            f"SELECT slug, label FROM {names.table('onb_categories')} ORDER BY slug"
        )
    return {str(slug): str(label) for slug, label in rows}

"""Which fields of which events leave in the analytics export: the reviewed rule.

Every field of every event class is in exactly one of these classes
(``exposure_of``); a field in none of them is *unreviewed*, is never exported, and
fails ``tests/unit/test_analytics_fields.py`` until someone classifies it here:

- **envelope**: the event's own bookkeeping (``originator_id``, ``timestamp``,
  ``actor_id``...), exported as the envelope columns, never as fields.
- **personal**: listed in the event class's ``personal_fields``. Stored sealed
  (``{"_pii": "v1...."}``); never decrypted, never exported.
- **free text**: what people write or are called (names, descriptions, notes,
  comments, reasons, titles, emails, phones, addresses, subjects): never exported,
  whether or not it is sealed.
- **dropped**: not personal text but not for export either (secrets' digests,
  storage keys, ids derived from personal values, nested lists, dicts with no
  reviewed keys), each with its reason.
- **exported**: ids, codes, counts, flags, dates, lists of ids or tags; one column
  each, typed by the field's annotation. User ids in them become pseudonyms.
- **allowlisted**: a dict (a value object's state) of which only the reviewed inner
  scalar keys are exported, flattened as ``<field>_<key>`` (``profile_location_
  region``). NPO contacts (email, phone), addresses, names and descriptions are in
  no allowlist.

Aggregates whose ids are derived from personal values (the uniqueness claims on an
email, a sign-in identity, a registration number) are not exported at all
(``UNEXPORTED_AGGREGATES``): their id is a hash of the value it claims.
"""

from __future__ import annotations

from enum import StrEnum

# The event's bookkeeping: the envelope columns come from these.
ENVELOPE_FIELDS = frozenset(
    {
        "originator_id",
        "originator_version",
        "timestamp",
        "actor_id",
        "correlation_id",
        "originator_topic",
    }
)

# The envelope's column names; a field of the same name is written ``field_<name>``.
ENVELOPE_COLUMNS = (
    "application",
    "position",
    "aggregate_type",
    "aggregate_id",
    "event_type",
    "version",
    "timestamp",
    "actor",
    "correlation_id",
)
PARTITION_COLUMN = "date"


class Exposure(StrEnum):
    ENVELOPE = "envelope"
    PERSONAL = "personal"
    FREE_TEXT = "free text"
    DROPPED = "dropped"
    EXPORTED = "exported"
    ALLOWLISTED = "allowlisted"
    UNREVIEWED = "unreviewed"


# What people write or are called, by field name, in every context.
FREE_TEXT_FIELDS = frozenset(
    {
        "address",
        "comment",
        "description",
        "email",
        "eligibility",
        "filename",
        "first_name",
        "label",
        "last_name",
        "name",
        "note",
        "phone",
        "reason",
        "subject",
        "summary",
        "text",
        "title",
    }
)

# Not personal text, not exported either: why, by field name.
DROPPED_FIELDS: dict[str, str] = {
    "token_digest": "the digest of a calendar feed's secret token",
    "key": "a storage key (names the uploaded object)",
    "sha256": "a file's digest (identifies its content outside the platform)",
    "registration_id": "an NPO's official registration number (claimed by hash)",
    "ranges": "availability as nested lists of minutes",
    "party_groups": "nested lists of user ids (attendee_ids has them flat)",
    "item_ratings": "per-item ratings keyed by item id (no reviewed keys)",
    "date_of_birth": "a birth date",
    "gender": "a gender",
}

# Fields exported as they are (typed by their annotation), by name.
EXPORTED_FIELDS = frozenset(
    {
        "attendee_ids",
        "badge",
        "by",
        "by_admin",
        "candidate_id",
        "channel",
        "community_id",
        "community_ids",
        "communities_per_leader",
        "completed_at",
        "completion",
        "content_type",
        "creator_id",
        "declared_size",
        "done",
        "due",
        "due_at",
        "duration_minutes",
        "email_verified",
        "ends_at",
        "founded_by",
        "holder",
        "is_default",
        "issuer",
        "item_id",
        "kind",
        "leader_id",
        "leader_npo_cap",
        "local_start",
        "matched_tags",
        "member_ids",
        "mentee_cap",
        "mentor_id",
        "missing_availability",
        "module_id",
        "notification_id",
        "npo_cap",
        "npo_id",
        "number",
        "offering_id",
        "offering_ids",
        "order",
        "organiser_id",
        "position",
        "primary_community_id",
        "rating",
        "recipient_ids",
        "resource_id",
        "role",
        "roles",
        "rrule",
        "since",
        "size",
        "slug",
        "starts_at",
        "tags",
        "target_id",
        "time_zone",
        "user_id",
        "user_ids",
        "visibility",
        "window_end",
        "window_start",
    }
)


class ColumnKind(StrEnum):
    """A column's type in the export (``adapters.analytics`` maps it to Arrow)."""

    STRING = "string"
    INT = "int64"
    FLOAT = "float64"
    BOOL = "bool"
    TIMESTAMP = "timestamp"
    STRINGS = "list<string>"


_S, _B, _I, _L = ColumnKind.STRING, ColumnKind.BOOL, ColumnKind.INT, ColumnKind.STRINGS
_CONTEXT_IDS = {
    "npo_id": _S,
    "leader_id": _S,
    "community_id": _S,
    "candidate_id": _S,
    "mentor_id": _S,
}

# Dicts of which only these inner keys (dotted paths, with their column kinds) are
# exported, by (aggregate, field). Each path becomes ``<field>_<path with _>``.
ALLOWLISTS: dict[tuple[str, str], dict[str, ColumnKind]] = {
    # An NPO's region and country for regional reports; never its name, address,
    # description, website, registration number or contact (email, phone).
    ("Npo", "profile"): {
        "location.region": _S,
        "location.country": _S,
        "service_areas": _L,
    },
    # An offering's categories, tags and where; never its title, text or links.
    ("Offering", "content"): {
        "categories": _L,
        "tags": _L,
        "location.region": _S,
        "location.country": _S,
        "location.remote": _B,
    },
    # A mentor's expertise.
    ("Mentor", "profile"): {"categories": _L, "expertise_tags": _L, "languages": _L},
    # A roadmap item's skeleton: what kind, which offering (its text is sealed).
    ("Roadmap", "item"): {
        "kind": _S,
        "offering_id": _S,
        "offering_version": _I,
        "npo_id": _S,
    },
    # What a meeting is about: ids only, under their known keys.
    ("Meeting", "context"): _CONTEXT_IDS,
    ("MeetingSeries", "context"): _CONTEXT_IDS,
}

# Dicts with no reviewed keys, by (aggregate, field): dropped whole.
DROPPED_DICTS: dict[tuple[str, str], str] = {
    ("Catalogue", "categories"): "category labels by slug (free text)",
}

# Aggregates whose ids derive from a personal value: never exported.
UNEXPORTED_AGGREGATES = frozenset(
    {"Claim", "EmailClaim", "IdentityLink", "RegistrationClaim"}
)


def exposure_of(  # noqa: PLR0911 - one answer per class of the rule, in order
    aggregate: str,
    field: str,
    personal_fields: frozenset[str],
    *,
    is_dict: bool = False,
) -> tuple[Exposure, str]:
    """How ``field`` of an event of ``aggregate`` is exposed, and why."""
    if field in ENVELOPE_FIELDS:
        return Exposure.ENVELOPE, "the envelope"
    if field in personal_fields:
        return Exposure.PERSONAL, "listed in personal_fields (sealed)"
    if field in FREE_TEXT_FIELDS:
        return Exposure.FREE_TEXT, "free text by name"
    if (aggregate, field) in ALLOWLISTS:
        return Exposure.ALLOWLISTED, ", ".join(ALLOWLISTS[aggregate, field])
    if (aggregate, field) in DROPPED_DICTS:
        return Exposure.DROPPED, DROPPED_DICTS[aggregate, field]
    if field in DROPPED_FIELDS:
        return Exposure.DROPPED, DROPPED_FIELDS[field]
    if is_dict:
        return Exposure.UNREVIEWED, "a dict with no allowlist"
    if field in EXPORTED_FIELDS:
        return Exposure.EXPORTED, "an id, code, count, flag or date"
    return Exposure.UNREVIEWED, "not classified"

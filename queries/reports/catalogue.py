"""The reports: names, titles, columns, who may read them and how their rows narrow.

A report over the export has one SQL file, ``sql/<name>.sql``, run by DuckDB over
one view per event family (``ev_<family>``: the envelope and the columns listed in
``FAMILIES``, only events up to ``as_of``). The SQL reads these named parameters,
always bound, never written into the text:

- ``$period_start``, ``$period_end``: the period, ``[from 00:00, to + 1 day 00:00)``
  UTC; ``$as_of``: the moment the report is as of (the views already hold nothing
  later);
- ``$everything``: the caller sees every row (an admin); else a row is theirs when
  it belongs to one of ``$npos`` (NPO ids), ``$communities`` (community ids) or
  ``$candidates`` (candidates' pseudonyms, as in the export);
- ``$min_ratings``: fewer ratings than this and a mean rating is not shown.

Each role that may read a report reads it narrowed (``Narrowing``); a role not
listed is refused. Admins read every report, everything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import resources

from domain.identity.values import Role


class Narrowing(StrEnum):
    """Which rows of a report a role sees."""

    EVERYTHING = "everything"  # admins
    OWN_NPOS = "own-npos"  # an NPO member: the NPOs they belong to, their offerings
    LED_COMMUNITIES = "led-communities"  # a leader: the communities they lead
    MENTEES = "mentees"  # a mentor: their current mentees
    SELF = "self"  # a candidate: themselves


@dataclass(frozen=True)
class Report:
    name: str
    title: str
    description: str
    columns: tuple[str, ...]
    # Role (its value) -> the rows it sees. ADMIN is added: everything.
    roles: Mapping[str, Narrowing] = field(default_factory=dict)
    # Read from the views, as of now (no period, no ``as_of``), not the export.
    live: bool = False

    def narrowing_for(self, roles: frozenset[str]) -> tuple[Narrowing, ...]:
        """How ``roles`` narrow this report; empty when none may read it."""
        if Role.ADMIN.value in roles:
            return (Narrowing.EVERYTHING,)
        return tuple(
            dict.fromkeys(n for role, n in self.roles.items() if role in roles)
        )

    def readers(self) -> tuple[str, ...]:
        """The roles that may read it, admins first."""
        return (Role.ADMIN.value, *(r for r in self.roles if r != Role.ADMIN.value))

    def sql(self) -> str:
        """The report's query (``sql/<name>.sql``); live reports have none."""
        if self.live:
            raise ValueError(f"{self.name} is live: it has no SQL")
        return (
            resources.files(__package__).joinpath("sql", f"{self.name}.sql")
        ).read_text(encoding="utf-8")


NPO = Role.NPO.value
LEADER = Role.COMMUNITY_LEADER.value
MENTOR = Role.CAREER_MENTOR.value
CANDIDATE = Role.CANDIDATE.value

# The smallest number of ratings whose mean is shown (as the NPO's engagement
# report does: no single candidate's rating is exposed).
MIN_RATINGS = 3

REPORTS: tuple[Report, ...] = (
    Report(
        "matches",
        "Matches per week",
        "NPOs assigned a community leader and candidates assigned a mentor, per "
        "week (its Monday) of the period.",
        ("period", "kind", "matches"),
        {
            LEADER: Narrowing.LED_COMMUNITIES,
            NPO: Narrowing.OWN_NPOS,
            MENTOR: Narrowing.MENTEES,
        },
    ),
    Report(
        "offerings-by-region",
        "Offerings per region and category",
        "Offerings not taken down or deleted at the end of the period, and those "
        "created in it, per region (the offering's, else its NPO's) and category.",
        ("region", "category", "offerings", "created"),
        {LEADER: Narrowing.LED_COMMUNITIES, NPO: Narrowing.OWN_NPOS},
    ),
    Report(
        "candidate-funnel",
        "Candidate funnel",
        "Candidates who signed up in the period, and how many of them went on to "
        "each step: assessed, mentored, first roadmap item approved, roadmap "
        "completed; the share of the step before, and the median hours it took.",
        ("step", "candidates", "conversion", "median_hours_from_previous"),
        {MENTOR: Narrowing.MENTEES, CANDIDATE: Narrowing.SELF},
    ),
    Report(
        "time-in-status",
        "Time in each status",
        "How long NPOs and candidates stayed in each waiting status (registration, "
        "verification, approval, the leaders' and mentors' queues, an item awaiting "
        "approval), for stays that began in the period.",
        (
            "subject",
            "status",
            "entered",
            "left",
            "still_in",
            "median_hours",
            "longest_open_hours",
        ),
        {
            LEADER: Narrowing.LED_COMMUNITIES,
            NPO: Narrowing.OWN_NPOS,
            MENTOR: Narrowing.MENTEES,
        },
    ),
    Report(
        "offering-engagement",
        "Engagement per offering",
        "Per offering, candidates enrolled in the period (an item approved on their "
        "roadmap) and where they are now: active, completed, withdrawn; how many "
        "gave feedback on their roadmap, and its mean rating from "
        f"{MIN_RATINGS} ratings on.",
        (
            "offering_id",
            "npo_id",
            "enrolled",
            "active",
            "completed",
            "withdrawn",
            "feedback",
            "mean_rating",
        ),
        {
            NPO: Narrowing.OWN_NPOS,
            LEADER: Narrowing.LED_COMMUNITIES,
            MENTOR: Narrowing.MENTEES,
        },
    ),
    Report(
        "community",
        "Communities",
        "Per community: its leaders, NPOs (waiting for a leader, verified, flagged, "
        "approved), active offerings at the end of the period; NPOs registered, "
        "leaders assigned and candidates enrolled in its NPOs' offerings in it.",
        (
            "community_id",
            "leaders",
            "npos",
            "waiting_for_leader",
            "verified",
            "flagged",
            "approved",
            "active_offerings",
            "npos_registered",
            "leader_assignments",
            "enrolments",
        ),
        {LEADER: Narrowing.LED_COMMUNITIES},
    ),
    Report(
        "admin-overview",
        "Platform overview",
        "The platform's figures: how many of each thing happened in the period, "
        "and in all up to the end of it.",
        ("metric", "in_period", "total"),
    ),
    Report(
        "waiting-queues",
        "Waiting queues",
        "Who is waiting now: NPOs for a leader, for verification and for approval; "
        "candidates for a mentor; roadmap items for their mentor's approval.",
        ("queue", "waiting", "oldest_waiting_hours"),
        {LEADER: Narrowing.LED_COMMUNITIES, MENTOR: Narrowing.MENTEES},
        live=True,
    ),
    Report(
        "projection-lag",
        "Projection lag",
        "How far each view is behind the event log now: events, and the age of the "
        "oldest event it has not applied.",
        ("projection", "state", "lag_events", "lag_seconds"),
        {LEADER: Narrowing.EVERYTHING},
        live=True,
    ),
)

BY_NAME: Mapping[str, Report] = {r.name: r for r in REPORTS}


def visible_to(roles: frozenset[str]) -> list[Report]:
    """The reports a caller holding ``roles`` may read, in catalogue order."""
    return [r for r in REPORTS if r.narrowing_for(roles)]


@dataclass(frozen=True)
class Column:
    """A column the SQL reads from a family's view: its DuckDB type, and the
    export's columns it is taken from (the first one present)."""

    name: str
    type: str
    sources: tuple[str, ...] = ()

    @property
    def from_export(self) -> tuple[str, ...]:
        return self.sources or (self.name,)


ENVELOPE: tuple[Column, ...] = (
    Column("application", "VARCHAR"),
    Column("position", "BIGINT"),
    Column("aggregate_type", "VARCHAR"),
    Column("aggregate_id", "VARCHAR"),
    Column("event_type", "VARCHAR"),
    Column("version", "BIGINT"),
    Column("timestamp", "TIMESTAMPTZ"),
    Column("actor", "VARCHAR"),
)

# Per event family (the export's ``events/<family>/``), the columns the reports read
# besides the envelope. A family or column not exported yet reads as empty or NULL.
FAMILIES: Mapping[str, tuple[Column, ...]] = {
    "user": (Column("roles", "VARCHAR[]"), Column("role", "VARCHAR")),
    "npo": (
        Column("leader_id", "VARCHAR"),
        Column("community_id", "VARCHAR"),
        Column("community_ids", "VARCHAR[]"),
        Column(
            "region",
            "VARCHAR",
            ("profile_location_region", "location_region", "region"),
        ),
    ),
    "offering": (
        Column("npo_id", "VARCHAR"),
        Column(
            "region",
            "VARCHAR",
            ("content_location_region", "location_region", "region"),
        ),
        Column("categories", "VARCHAR[]", ("content_categories", "categories")),
    ),
    "community": (),
    "leader_roster": (
        Column("community_id", "VARCHAR"),
        Column("leader_id", "VARCHAR"),
    ),
    "candidate": (
        Column("user_id", "VARCHAR"),
        Column("candidate_id", "VARCHAR"),
        Column("mentor_id", "VARCHAR"),
    ),
    "roadmap": (
        Column("candidate_id", "VARCHAR"),
        Column("item_id", "VARCHAR"),
        Column("offering_id", "VARCHAR", ("item_offering_id", "offering_id")),
        Column("npo_id", "VARCHAR", ("item_npo_id", "npo_id")),
        Column("rating", "INTEGER"),
    ),
}

"""The careers context's value objects and the names its rules share.

Values are frozen dataclasses checked once, by their ``of`` classmethod, naming the
field they refuse (``InvalidFieldError``), with text checked by ``domain.text`` as in
every context. Events record a value as ``to_state()`` (JSON values only) and read it
back with ``from_state`` (already checked when it was recorded).

A candidate's id is their user id: one ``Candidate`` per CANDIDATE user, one
``Mentor`` per CAREER_MENTOR user, so the person's data key (``domain.personal_data``)
covers what careers records about them, and erasing the person erases it here too.
"""

from __future__ import annotations

from enum import StrEnum
from uuid import NAMESPACE_URL, uuid5

# Role names as the identity context spells them (``domain.identity.Role``).
ROLE_CANDIDATE = "CANDIDATE"
ROLE_CAREER_MENTOR = "CAREER_MENTOR"
ROLE_ADMIN = "ADMIN"
ROLE_NPO = "NPO"

# The careers aggregates with fixed or derived ids (the mentor pool, a mentor) take
# them from this namespace.
CAREERS_NAMESPACE = uuid5(NAMESPACE_URL, "https://spotlight.example/careers")


class NeedLevel(StrEnum):
    """How much a candidate needs help in one category (C2)."""

    NONE = "none"
    SOME = "some"
    URGENT = "urgent"


class MeetingFormat(StrEnum):
    """How a candidate prefers to take part, and how an offering is given."""

    ONLINE = "online"
    IN_PERSON = "in_person"
    EITHER = "either"


class Visibility(StrEnum):
    """Who may see a candidate's career profile (C1).

    ``private``: the candidate and admins; ``mentors``: also their assigned mentor;
    ``npos``: also the NPOs whose offerings the candidate enrols in.
    """

    PRIVATE = "private"
    MENTORS = "mentors"
    NPOS = "npos"


class CandidateStatus(StrEnum):
    """``REGISTERED → ASSESSED → MENTORED`` (or ``WAITING_FOR_MENTOR``)."""

    REGISTERED = "REGISTERED"
    ASSESSED = "ASSESSED"
    WAITING_FOR_MENTOR = "WAITING_FOR_MENTOR"
    MENTORED = "MENTORED"


class OnboardingStatus(StrEnum):
    """A candidate's onboarding is COMPLETE with their first completed assessment."""

    PENDING = "PENDING"
    COMPLETE = "COMPLETE"

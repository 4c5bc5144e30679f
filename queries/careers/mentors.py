"""Reads of mentors, their mentees, the mentors' queue and the default cap (CM2).

Who may see what is decided by the routes' role checks and here: a mentor reads
only their own profile and mentees; admins read every mentor and the queue.
"""

from __future__ import annotations

from domain.base import NotFoundError
from ports.relational import RelationalStore
from projections.careers.mentors import (
    MenteeRow,
    MentorRow,
    MentorsReader,
    WaitingRow,
)


def get_mentor_profile(views: RelationalStore, mentor_id: str) -> MentorRow:
    """A mentor's own profile, load and cap (``NotFoundError`` until they save one)."""
    found = MentorsReader(views).mentor(mentor_id)
    if found is None:
        raise NotFoundError("No mentor profile yet.")
    return found


def list_mentees(views: RelationalStore, mentor_id: str) -> list[MenteeRow]:
    """The mentor's own mentees, the earliest assigned first."""
    return MentorsReader(views).mentees_of(mentor_id)


def list_mentors(views: RelationalStore) -> list[MentorRow]:
    """Every mentor with their load and cap (admins)."""
    return MentorsReader(views).mentors()


def mentor_queue(views: RelationalStore) -> list[WaitingRow]:
    """Candidates waiting for a mentor, in serving order (admins)."""
    return MentorsReader(views).queue()


def get_mentee_cap(views: RelationalStore) -> int:
    """The platform's default cap on a mentor's active mentees."""
    return MentorsReader(views).default_cap()

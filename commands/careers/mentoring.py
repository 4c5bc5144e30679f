"""Mentor assignment inside a careers decision (CM2).

These helpers run inside ``run(..., assignment=True)``: they load through the unit of
work, so everything they change is saved together.
"""

from __future__ import annotations

from commands.careers.application import UnitOfWork
from domain.careers.candidate import Candidate


def assign_after_assessment(unit: UnitOfWork, candidate: Candidate) -> None:
    """After a completed assessment: a mentor covering the most urgent needs, any
    mentor with capacity, or the queue."""


def release_mentoring(unit: UnitOfWork, candidate: Candidate, reason: str) -> None:
    """The candidate no longer needs a mentor (they finished, left or were erased):
    free their mentor's slot, or their place in the queue, and serve the queue."""

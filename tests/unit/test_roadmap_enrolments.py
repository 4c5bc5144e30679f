"""The NPO's engagement figures (median days to complete, the feedback score only
from three ratings on), an enrolment's progress, and pseudonyms."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from domain.careers.roadmap_items import ItemStatus
from projections.careers.enrolments import EnrolmentRow
from queries.careers.enrolments import FeedbackScore, engagement_of, pseudonym

BASE = EnrolmentRow(
    roadmap_id="r",
    candidate_id="c",
    item_id="i",
    npo_id="n",
    offering_id="o",
    status=ItemStatus.NOT_STARTED,
    done_modules=0,
    total_modules=3,
    enrolled_at="2030-01-01T00:00:00.000000+00:00",
    completed_at=None,
    withdrawn_at=None,
    rating=None,
)


def completed(days: str, rating: int | None = None) -> EnrolmentRow:
    return replace(
        BASE,
        status=ItemStatus.COMPLETED,
        done_modules=3,
        completed_at=f"2030-01-{days}+00:00",
        rating=rating,
    )


def test_the_engagement_figures_of_an_offering() -> None:
    rows = [
        completed("02T00:00:00", 5),  # 1 day
        completed("04T12:00:00", 4),  # 3.5 days
        replace(BASE, status=ItemStatus.IN_PROGRESS, done_modules=1),
        replace(BASE, status=ItemStatus.WITHDRAWN, withdrawn_at="2030-01-02"),
        BASE,
    ]
    found = engagement_of("o", rows)
    assert (
        found.enrolled,
        found.not_started,
        found.in_progress,
        found.completed,
        found.withdrawn,
    ) == (5, 1, 1, 2, 1)
    # Check the median of two is their mean, one decimal, halves up (2.25 → 2.3).
    assert found.median_days_to_complete == Decimal("2.3")
    # Check two ratings show no score; a third shows the mean and the count.
    assert found.feedback is None
    found = engagement_of("o", [*rows, completed("11T00:00:00", 4)])
    assert found.feedback == FeedbackScore(Decimal("4.3"), 3)
    assert found.median_days_to_complete == Decimal("3.5")


def test_an_offering_without_completions_has_no_median() -> None:
    found = engagement_of("o", [BASE])
    assert (found.median_days_to_complete, found.feedback) == (None, None)


def test_progress_is_the_roadmaps_figure() -> None:
    assert str(replace(BASE, done_modules=2).percent) == "66.7"
    assert str(replace(BASE, total_modules=0).percent) == "0.0"
    assert str(completed("02T00:00:00").percent) == "100.0"


def test_pseudonyms_are_stable_per_npo_and_secret() -> None:
    one = pseudonym(b"secret", "npo-1", "candidate-1")
    assert one == pseudonym(b"secret", "npo-1", "candidate-1")
    assert one.startswith("Candidate ")
    assert len(one) == len("Candidate 7F3A9C21")
    # Check another NPO, candidate or secret gives another pseudonym.
    assert one != pseudonym(b"secret", "npo-2", "candidate-1")
    assert one != pseudonym(b"secret", "npo-1", "candidate-2")
    assert one != pseudonym(b"other", "npo-1", "candidate-1")

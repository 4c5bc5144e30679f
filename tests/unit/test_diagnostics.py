"""Error summaries keep the kind of failure and drop the data it quoted."""

from __future__ import annotations

from projections.diagnostics import error_summary


class UniqueViolation(Exception):  # noqa: N818 - named as psycopg names it
    pass


def test_a_database_detail_line_with_personal_data_is_dropped() -> None:
    error = UniqueViolation(
        'duplicate key value violates unique constraint "users_email"\n'
        "DETAIL:  Key (email)=(ada@example.org) already exists."
    )
    summary = error_summary(error)
    assert summary == (
        'UniqueViolation: duplicate key value violates unique constraint "users_email"'
    )
    assert "ada@example.org" not in summary


def test_long_messages_are_shortened_and_empty_ones_name_the_type() -> None:
    assert len(error_summary(ValueError("x" * 5000))) == len("ValueError: ") + 200
    assert error_summary(TimeoutError()) == "TimeoutError"

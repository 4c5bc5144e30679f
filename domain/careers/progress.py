"""Progress percentages, exactly as documented, with one rounding at the end.

- An item's progress is its done modules over its total modules; 100 % when the item
  is ``COMPLETED``; 0 % when it has no modules and is not completed.
- A roadmap's progress is the mean of its items' progress over the items that are on
  it: approved and not withdrawn (``NOT_STARTED``, ``IN_PROGRESS``, ``COMPLETED``).
  A roadmap with no such item is at 0 %.

Every figure is computed as an exact fraction (``fractions.Fraction``), so the same
events always give the same figure wherever and however often they are replayed.
The one rounding is ``percent``: to one decimal place, halves away from zero
(33.25 → 33.3; 200/3 → 66.7). Only the rounded figure is ever shown or stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

HUNDRED = Fraction(100)
ONE_DECIMAL = Decimal("0.1")


@dataclass(frozen=True)
class ItemFigures:
    """What an item's progress depends on."""

    done_modules: int
    total_modules: int
    completed: bool


def item_progress(item: ItemFigures) -> Fraction:
    """The item's progress in percent, exact."""
    if item.completed:
        return HUNDRED
    if item.total_modules == 0:
        return Fraction(0)
    return HUNDRED * item.done_modules / item.total_modules


def roadmap_progress(items_on_roadmap: Iterable[ItemFigures]) -> Fraction:
    """The mean of the items' progress (only items on the roadmap), exact."""
    figures = [item_progress(item) for item in items_on_roadmap]
    if not figures:
        return Fraction(0)
    return sum(figures, Fraction(0)) / len(figures)


def percent(exact: Fraction) -> Decimal:
    """The documented rounding: one decimal place, halves away from zero (progress
    is never negative), decided on the exact fraction."""
    tenths = exact * 10
    whole, rest = divmod(tenths.numerator, tenths.denominator)
    if 2 * rest >= tenths.denominator:
        whole += 1
    return (Decimal(whole) / 10).quantize(ONE_DECIMAL)

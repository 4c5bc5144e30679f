"""How well recommendations match what a careers adviser would pick.

    python -m bench.recommend [--seeds 200]

The labelled fixture (``tests/fixtures/recommendations/``): a realistic set of
offerings (in person in six regions of three countries, online nationally or to
anyone; in the ten categories of #2, with tags and languages) and candidates, each
with a completed needs assessment and the offerings an adviser picked for them
(``relevant``, with the adviser's note ``why``).

For each candidate, each ranking orders the offerings; the figures are means over
candidates:

- precision@5: how many of the first five are relevant, over five;
- recall@10: how many of the relevant ones are in the first ten.

Rankings compared in the same run:

- ``model``: the default ``Recommender`` (``domain.careers.recommendation.NeedsMatch``);
- ``model_without_languages``: the same, with the offerings' languages unknown (what
  it sees while the search view does not carry them);
- ``category_only``: needed categories alone, urgent three times some, ties broken
  at random (mean over the seeds);
- ``random``: the offerings in random order (mean over the seeds).

Needs no server. Prints a table, then one JSON line of the figures.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from domain.careers.assessment import NeedsAssessment
from domain.careers.recommendation import NeedsMatch, OfferingTraits, Recommender
from domain.careers.values import MeetingFormat, NeedLevel

FIXTURE = Path(__file__).resolve().parents[1] / "tests/fixtures/recommendations"


@dataclass(frozen=True)
class Labelled:
    """A candidate of the fixture: their assessment and the adviser's picks."""

    candidate_id: str
    assessment: NeedsAssessment
    relevant: frozenset[str]


@dataclass(frozen=True)
class Fixture:
    offerings: tuple[OfferingTraits, ...]
    candidates: tuple[Labelled, ...]


def load_fixture(directory: Path = FIXTURE) -> Fixture:
    offerings = tuple(
        OfferingTraits(
            offering_id=o["id"],
            categories=tuple(o["categories"]),
            tags=tuple(o["tags"]),
            region=o["region"],
            country=o["country"],
            format=MeetingFormat(o["format"]),
            languages=tuple(o["languages"]),
        )
        for o in json.loads((directory / "offerings.json").read_text())
    )
    candidates = tuple(
        Labelled(
            c["id"],
            NeedsAssessment.of(**c["assessment"]),
            frozenset(c["relevant"]),
        )
        for c in json.loads((directory / "candidates.json").read_text())
    )
    return Fixture(offerings, candidates)


# A ranking: the offerings' ids for a candidate, best first.
Ranking = Callable[[NeedsAssessment, Sequence[OfferingTraits]], list[str]]


def by_model(model: Recommender, limit: int = 10) -> Ranking:
    def rank(a: NeedsAssessment, offerings: Sequence[OfferingTraits]) -> list[str]:
        return [r.offering_id for r in model.rank(a, offerings, limit)]

    return rank


def category_only(seed: int) -> Ranking:
    """Needed categories alone: urgent weighs three, some one; ties at random."""
    weights = {NeedLevel.URGENT: 3.0, NeedLevel.SOME: 1.0, NeedLevel.NONE: 0.0}

    def rank(a: NeedsAssessment, offerings: Sequence[OfferingTraits]) -> list[str]:
        draw = random.Random(seed)
        scored = [
            (sum(weights[a.level_of(c)] for c in o.categories), draw.random(), o)
            for o in offerings
        ]
        scored = [s for s in scored if s[0] > 0]
        scored.sort(key=lambda s: (-s[0], s[1]))
        return [o.offering_id for _, _, o in scored]

    return rank


def at_random(seed: int) -> Ranking:
    def rank(a: NeedsAssessment, offerings: Sequence[OfferingTraits]) -> list[str]:
        ids = [o.offering_id for o in offerings]
        random.Random(seed).shuffle(ids)
        return ids

    return rank


@dataclass(frozen=True)
class Figures:
    precision_at_5: float
    recall_at_10: float


def evaluate(
    fixture: Fixture,
    ranking: Ranking,
    offerings: Sequence[OfferingTraits] | None = None,
) -> Figures:
    """Mean precision@5 and recall@10 of one ranking over the fixture's candidates."""
    pool = fixture.offerings if offerings is None else offerings
    precision = recall = 0.0
    for labelled in fixture.candidates:
        ranked = ranking(labelled.assessment, pool)
        precision += len(set(ranked[:5]) & labelled.relevant) / 5
        recall += len(set(ranked[:10]) & labelled.relevant) / len(labelled.relevant)
    n = len(fixture.candidates)
    return Figures(round(precision / n, 4), round(recall / n, 4))


def mean(figures: Sequence[Figures]) -> Figures:
    n = len(figures)
    return Figures(
        round(sum(f.precision_at_5 for f in figures) / n, 4),
        round(sum(f.recall_at_10 for f in figures) / n, 4),
    )


def compare(fixture: Fixture, seeds: int = 200) -> dict[str, Figures]:
    """Every ranking's figures on the fixture."""
    unknown_languages = [
        dataclasses.replace(o, languages=()) for o in fixture.offerings
    ]
    return {
        "model": evaluate(fixture, by_model(NeedsMatch())),
        "model_without_languages": evaluate(
            fixture, by_model(NeedsMatch()), unknown_languages
        ),
        "category_only": mean(
            [evaluate(fixture, category_only(s)) for s in range(seeds)]
        ),
        "random": mean([evaluate(fixture, at_random(s)) for s in range(seeds)]),
    }


def ceiling(fixture: Fixture) -> Figures:
    """The best any ranking can do: precision@5 is below 1 for candidates with
    fewer than five relevant offerings."""
    n = len(fixture.candidates)
    best = sum(min(len(c.relevant), 5) / 5 for c in fixture.candidates) / n
    return Figures(round(best, 4), 1.0)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--seeds", type=int, default=200, help="draws for the random baselines"
    )
    args = parser.parse_args(argv)
    fixture = load_fixture()
    figures = compare(fixture, args.seeds)
    table = Table(
        f"Recommendations: {len(fixture.candidates)} candidates, "
        f"{len(fixture.offerings)} offerings",
        "precision@5",
        "recall@10",
    )
    for name, row in figures.items():
        table.add_row(name, f"{row.precision_at_5:.3f}", f"{row.recall_at_10:.3f}")
    best = ceiling(fixture)
    table.add_row("(the adviser's picks first)", f"{best.precision_at_5:.3f}", "1.000")
    Console().print(table)
    line: dict[str, Any] = {
        "benchmark": "recommend",
        "candidates": len(fixture.candidates),
        "offerings": len(fixture.offerings),
        "seeds": args.seeds,
        "ceiling_precision_at_5": best.precision_at_5,
        **{name: dataclasses.asdict(row) for name, row in figures.items()},
    }
    print(json.dumps(line))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

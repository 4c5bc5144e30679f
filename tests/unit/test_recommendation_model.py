"""The default recommendation model (``domain.careers.recommendation.NeedsMatch``):
what it weighs, what it leaves out, the reasons it gives; and its quality on the
labelled fixture against the baselines of ``bench.recommend``."""

from __future__ import annotations

from typing import Any

from bench.recommend import (
    FIXTURE,
    at_random,
    by_model,
    category_only,
    compare,
    evaluate,
    load_fixture,
)
from domain.careers.assessment import NeedsAssessment
from domain.careers.recommendation import (
    NeedMatched,
    NeedsMatch,
    OfferingTraits,
    Reach,
    keywords,
)
from domain.careers.values import MeetingFormat, NeedLevel
from domain.tagging import CATEGORIES_OF_NEED


def assessment(**changes: Any) -> NeedsAssessment:
    fields: dict[str, Any] = {
        "needs": {
            "interview_prep": {"level": "urgent", "text": "Practise for interviews"},
            "child_care": {"level": "some"},
        },
        "region": "Illinois",
        "country": "US",
        "preferred_format": "in_person",
        "languages": ["es", "en"],
    }
    return NeedsAssessment.of(**{**fields, **changes})


def offering(offering_id: str, *categories: str, **changes: Any) -> OfferingTraits:
    fields: dict[str, Any] = {
        "offering_id": offering_id,
        "categories": categories,
        "region": "Illinois",
        "country": "US",
        "format": MeetingFormat.IN_PERSON,
    }
    return OfferingTraits(**{**fields, **changes})


def ranked(a: NeedsAssessment, *offerings: OfferingTraits) -> list[str]:
    return [r.offering_id for r in NeedsMatch().rank(a, offerings, 10)]


def test_an_urgent_need_ranks_above_a_lesser_one_and_unneeded_ones_are_left_out() -> (
    None
):
    found = ranked(
        assessment(),
        offering("daycare", "child_care"),
        offering("food", "grocery_meals"),
        offering("interviews", "interview_prep"),
    )

    assert found == ["interviews", "daycare"]


def test_each_recommendation_says_why() -> None:
    a = assessment(
        needs={
            "apprenticeship_registration": {
                "level": "urgent",
                "text": "I want to become an electrician",
            }
        },
        languages=["en"],
    )
    electrical = offering(
        "electrical",
        "apprenticeship_registration",
        tags=("electrician", "trades"),
        languages=("en",),
    )

    (found,) = NeedsMatch().rank(a, [electrical], 10)

    # Check the reason names the need, the candidate's word, the place, the format
    # and the language.
    assert found.reason.needs == (
        NeedMatched("apprenticeship_registration", NeedLevel.URGENT),
    )
    assert found.reason.tags == ("electrician",)
    assert found.reason.location == Reach.SAME_REGION
    assert found.reason.format == "in_person"
    assert found.reason.languages == ("en",)


def test_the_candidates_words_pick_the_right_offering_within_a_category() -> None:
    a = assessment(
        needs={
            "apprenticeship_registration": {
                "level": "urgent",
                "text": "Plumbing, like my uncle",
            }
        }
    )

    found = ranked(
        a,
        offering("welding", "apprenticeship_registration", tags=("welding",)),
        offering("plumbing", "apprenticeship_registration", tags=("plumbing",)),
    )

    assert found == ["plumbing", "welding"]


def test_words_become_tags_with_pairs_and_plural_folded() -> None:
    a = assessment(
        needs={
            "training_program_registration": {
                "level": "urgent",
                "text": "An IT support course for Help Desk jobs, interviews",
            }
        }
    )

    words = keywords(a)

    assert {"it-support", "help-desk", "interview", "course"} <= set(words)
    assert "for" not in words


def test_in_person_elsewhere_is_out_of_reach_and_far_ranks_below_online() -> None:
    a = assessment(needs={"grocery_meals": {"level": "urgent"}}, languages=[])

    found = ranked(
        a,
        offering("abroad", "grocery_meals", region="Ontario", country="CA"),
        offering("far", "grocery_meals", region="Texas"),
        offering("online", "grocery_meals", region=None, format=MeetingFormat.ONLINE),
        offering("near", "grocery_meals"),
        offering(
            "online-abroad",
            "grocery_meals",
            region=None,
            country="CA",
            format=MeetingFormat.ONLINE,
        ),
    )

    assert found == ["near", "online", "far"]


def test_the_preferred_format_is_favoured() -> None:
    a = assessment(preferred_format="online", languages=[])
    online = offering("online", "interview_prep", format=MeetingFormat.ONLINE)
    in_person = offering("in-person", "interview_prep", region="Texas")

    assert ranked(a, in_person, online) == ["online", "in-person"]


def test_an_offering_in_no_language_the_candidate_speaks_weighs_against() -> None:
    a = assessment(languages=["zh"])

    found = ranked(
        a,
        offering("english", "interview_prep", languages=("en",)),
        offering("chinese", "interview_prep", languages=("en", "zh")),
        offering("unsaid", "interview_prep"),
    )

    assert found == ["chinese", "unsaid", "english"]


def test_at_most_the_limit_is_answered() -> None:
    offerings = [offering(f"o{i}", "interview_prep") for i in range(30)]

    assert len(NeedsMatch().rank(assessment(), offerings, 10)) == 10
    assert NeedsMatch().rank(assessment(), offerings, 0) == []


def test_the_model_asks_for_the_needed_categories_and_the_candidates_words() -> None:
    wanted = NeedsMatch().wanted(assessment())

    assert wanted.categories == ("interview_prep", "child_care")
    assert "interview" in wanted.tags


# --- The labelled fixture ------------------------------------------------------------


def test_the_fixture_is_large_varied_and_consistent() -> None:
    fixture = load_fixture()

    assert len(fixture.candidates) >= 50
    ids = {o.offering_id for o in fixture.offerings}
    assert len(ids) == len(fixture.offerings)
    for labelled in fixture.candidates:
        assert labelled.relevant, labelled.candidate_id
        assert labelled.relevant <= ids, labelled.candidate_id
    # Check it spans every category, several countries and every format.
    assert {c for o in fixture.offerings for c in o.categories} == set(
        CATEGORIES_OF_NEED
    )
    assert len({c.assessment.country for c in fixture.candidates}) >= 3
    assert {c.assessment.preferred_format for c in fixture.candidates} == set(
        MeetingFormat
    )
    assert (FIXTURE / "candidates.json").exists()


def test_the_model_beats_the_random_and_category_only_baselines() -> None:
    figures = compare(load_fixture(), seeds=20)

    model, by_category, by_chance = (
        figures["model"],
        figures["category_only"],
        figures["random"],
    )
    assert model.precision_at_5 > by_category.precision_at_5 > by_chance.precision_at_5
    assert model.recall_at_10 > by_category.recall_at_10 > by_chance.recall_at_10
    # Check by a clear margin, not by a tie-break.
    assert model.precision_at_5 >= 1.5 * by_category.precision_at_5
    assert model.recall_at_10 >= by_category.recall_at_10 + 0.2


def test_the_metrics_are_those_of_the_rankings() -> None:
    fixture = load_fixture()
    # Check a perfect ranking reaches recall 1 and the ceiling of precision.
    perfect = {id(c.assessment): sorted(c.relevant) for c in fixture.candidates}

    figures = evaluate(fixture, lambda a, _: perfect[id(a)])

    assert figures.recall_at_10 == 1.0
    assert 0 < figures.precision_at_5 <= 1.0
    # And the baselines differ with their seeds, as random draws do.
    assert evaluate(fixture, at_random(1)) != evaluate(fixture, at_random(2))
    assert evaluate(fixture, by_model(NeedsMatch())).recall_at_10 > 0
    assert evaluate(fixture, category_only(1)).recall_at_10 > 0

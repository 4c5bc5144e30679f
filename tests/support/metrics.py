"""Reading ``GET /metrics`` in tests: one sample's value by name and labels."""

from __future__ import annotations

from typing import Any

from prometheus_client.parser import text_string_to_metric_families


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            key = (sample.name, frozenset(sample.labels.items()))
            found[key] = sample.value
    return found


def value(text: str, name: str, **labels: str) -> float | None:
    """The sample ``name`` with exactly ``labels``; None when absent."""
    return samples(text).get((name, frozenset(labels.items())))


def scrape(client: Any, token: str) -> str:
    answer = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    text: str = answer.text
    return text

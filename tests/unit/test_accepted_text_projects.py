"""Any event the domain accepts can be projected, on the embedded stores: commands of
every context carrying hostile text go through the dispatcher, and every projection
of the composed app (SQLite views, in-memory documents and cache) applies what the
domain recorded. See ``tests.support.accepted_text``."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from adapters.bootstrap import build_container
from adapters.settings import Settings
from tests.support.accepted_text import STORIES, Story, TextWorld

EXAMPLES = 30


@pytest.mark.parametrize("context", sorted(STORIES))
def test_any_text_the_domain_accepts_is_projected(context: str, tmp_path: Path) -> None:
    container = build_container(Settings(event_store="popo", data_dir=tmp_path))
    world = TextWorld(container)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(STORIES[context]())
    def run(story: Story) -> None:
        story(world)
        world.project()

    try:
        run()
    finally:
        container.close()
    # Check the check is real: most commands were accepted, and projected.
    assert world.tally.accepted > world.tally.refused > 0, world.tally

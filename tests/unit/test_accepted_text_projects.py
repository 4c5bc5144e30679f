"""Any event the domain accepts can be projected, on the embedded stores: commands of
every context carrying hostile text go through the dispatcher, and every projection
of the composed app (SQLite views, in-memory documents and cache) applies what the
domain recorded. See ``tests.support.accepted_text``."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.bootstrap import build_container
from adapters.settings import Settings
from tests.support.accepted_text import STORIES, TextWorld, tell_stories

EXAMPLES = 30


@pytest.mark.parametrize("context", sorted(STORIES))
def test_any_text_the_domain_accepts_is_projected(context: str, tmp_path: Path) -> None:
    container = build_container(Settings(event_store="popo", data_dir=tmp_path))
    world = TextWorld(container)

    try:
        tell_stories(world, context, EXAMPLES)
    finally:
        container.close()

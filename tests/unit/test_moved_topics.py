"""Old stored topics resolve to the classes where they live now."""

from __future__ import annotations

import importlib

from eventsourcing.utils import get_topic, resolve_topic

from domain.moved_topics import MOVED_TOPICS, register_moved_topics


def test_every_old_topic_resolves_to_the_class_now_named() -> None:
    register_moved_topics()
    register_moved_topics()  # idempotent: applications register on construction

    for old, current in MOVED_TOPICS.items():
        found = resolve_topic(old)
        # Check the old topic names the class that is now at ``current``.
        assert found is resolve_topic(current)
        assert get_topic(found) == current, old


def test_old_topics_name_classes_that_really_moved() -> None:
    for old, current in MOVED_TOPICS.items():
        old_module, _, qualname = old.partition(":")
        assert old != current
        try:
            module = importlib.import_module(old_module)
        except ImportError:
            continue  # the old module is gone
        # A module that still exists no longer holds the class (no shims).
        assert not hasattr(module, qualname.split(".")[0]), old

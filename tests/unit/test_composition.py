"""The composition root: each application keeps its own log on every store."""

from __future__ import annotations

from pathlib import Path

from adapters.bootstrap import build_container
from adapters.settings import Settings
from tests.support.notes import Note, Notebook


class Journal(Notebook):
    name = "journal"


def test_sqlite_applications_have_separate_logs(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, event_store="sqlite")
    container = build_container(
        settings, application_types=(Notebook, Journal), projection_types=()
    )
    try:
        notebook = container.application(Notebook)
        journal = container.application(Journal)
        notebook.save(Note("ada", "only in the notebook"))

        assert notebook.recorder.max_notification_id() == 1
        assert journal.recorder.max_notification_id() is None
        assert (tmp_path / "events-notebook.sqlite").exists()
        assert (tmp_path / "events-journal.sqlite").exists()
    finally:
        container.close()

"""Watching the states a projection engine records."""

from __future__ import annotations

from projections.engine import ProjectionEngine


def record_states(engine: ProjectionEngine) -> list[str]:
    """Every state the engine's runners record from now on, in order."""
    states: list[str] = []
    original = engine.set_state

    def recording(
        name: str, state: str, error: str | None = None, failed_at: str | None = None
    ) -> bool:
        states.append(state)
        return original(name, state, error, failed_at)

    engine.set_state = recording  # type: ignore[method-assign]
    return states

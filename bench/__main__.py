"""``python -m bench`` (``make bench``): every benchmark with its defaults.

Each benchmark prints its table and ends with one JSON line of its figures.
"""

from __future__ import annotations

import sys

from bench import (
    export,
    http,
    identity_me,
    onboarding_flow,
    recommend,
    replay,
    roadmap,
    search,
)


def main() -> int:
    failures = 0
    for run in (
        replay.main,
        export.main,
        identity_me.main,
        onboarding_flow.main,
        search.main,
        recommend.main,
        roadmap.main,
        http.main,
    ):
        failures += 1 if run([]) else 0
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

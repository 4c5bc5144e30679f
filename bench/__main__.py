"""``python -m bench`` (``make bench``): every benchmark with its defaults."""

from __future__ import annotations

import sys

from bench import replay


def main() -> int:
    return replay.main([])


if __name__ == "__main__":
    sys.exit(main())

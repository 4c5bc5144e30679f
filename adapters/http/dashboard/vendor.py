"""The browser libraries pinned in ``vendor.lock.json`` and where the service finds
them once ``scripts/vendor-assets`` (``make install``) fetched them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

LOCK = Path(__file__).with_name("vendor.lock.json")


@dataclass(frozen=True)
class VendoredLibrary:
    """One pinned package: its files under ``<vendor_dir>/<name>-<version>/``."""

    name: str
    version: str
    files: tuple[str, ...]
    script: str
    directory: Path

    @property
    def folder(self) -> str:
        """The versioned folder: part of its URL, so a new pin is a new URL."""
        return f"{self.name}-{self.version}"

    @property
    def script_url(self) -> str:
        return f"/dashboard/assets/vendor/{self.folder}/{self.script}"

    @property
    def present(self) -> bool:
        return all((self.directory / name).is_file() for name in self.files)

    def file(self, name: str) -> Path | None:
        """The vendored file of that name, if it is one of this package's and there."""
        path = self.directory / name
        return path if name in self.files and path.is_file() else None


def pinned_libraries(vendor_dir: Path) -> dict[str, VendoredLibrary]:
    """Every pinned package by its versioned folder name."""
    pins = json.loads(LOCK.read_text())
    libraries = (
        VendoredLibrary(
            name=name,
            version=pin["version"],
            files=tuple(pin["files"].values()),
            script=pin["script"],
            directory=vendor_dir / f"{name}-{pin['version']}",
        )
        for name, pin in pins.items()
    )
    return {library.folder: library for library in libraries}


CHART_LIBRARY = "chart.js"


def chart_library(vendor_dir: Path) -> VendoredLibrary:
    """The chart library the page draws with."""
    (library,) = (
        one
        for one in pinned_libraries(vendor_dir).values()
        if one.name == CHART_LIBRARY
    )
    return library

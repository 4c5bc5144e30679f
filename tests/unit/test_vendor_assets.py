"""``scripts/vendor-assets``: a pinned tarball is checked against its integrity
before anything is extracted; done once; a failed download only warns."""

from __future__ import annotations

import base64
import hashlib
import importlib.machinery
import importlib.util
import io
import json
import sys
import tarfile
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "vendor-assets"
LIBRARY = b"/* the library */"


def script() -> ModuleType:
    loader = importlib.machinery.SourceFileLoader("vendor_assets", str(SCRIPT))
    spec = importlib.util.spec_from_loader("vendor_assets", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def tarball() -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        for name, data in {
            "package/dist/lib.js": LIBRARY,
            "package/LICENSE.md": b"MIT",
            "package/other.js": b"not taken",
        }.items():
            member = tarfile.TarInfo(name)
            member.size = len(data)
            archive.addfile(member, io.BytesIO(data))
    return out.getvalue()


def integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def run(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    *,
    pinned: str | None = None,
    url: str | None = None,
) -> tuple[ModuleType, int]:
    data = tarball()
    (tmp_path / "lib-1.0.0.tgz").write_bytes(data)
    lock = tmp_path / "vendor.lock.json"
    lock.write_text(
        json.dumps(
            {
                "lib": {
                    "version": "1.0.0",
                    "tarball": url or (tmp_path / "lib-1.0.0.tgz").as_uri(),
                    "integrity": pinned or integrity(data),
                    "files": {
                        "package/dist/lib.js": "lib.js",
                        "package/LICENSE.md": "LICENSE.md",
                    },
                    "script": "lib.js",
                }
            }
        )
    )
    module = script()
    monkeypatch.setattr(module, "LOCK", lock)
    monkeypatch.setattr(
        sys, "argv", ["vendor-assets", "--vendor-dir", str(tmp_path / "vendor")]
    )
    return module, module.main()


def test_the_pinned_files_are_extracted_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    module, status = run(tmp_path, monkeypatch)

    target = tmp_path / "vendor" / "lib-1.0.0"
    assert status == 0
    assert sorted(p.name for p in target.iterdir()) == ["LICENSE.md", "lib.js"]
    assert (target / "lib.js").read_bytes() == LIBRARY
    assert "lib 1.0.0" in capsys.readouterr().out

    # Check a second run fetches nothing: the tarball is gone, and all is well.
    (tmp_path / "lib-1.0.0.tgz").unlink()
    assert module.main() == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == ""


def test_a_tarball_that_is_not_the_pinned_one_is_never_extracted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _, status = run(tmp_path, monkeypatch, pinned=integrity(b"another tarball"))

    assert status == 1
    assert "integrity mismatch" in capsys.readouterr().err
    assert not (tmp_path / "vendor" / "lib-1.0.0").exists()


def test_a_failed_download_warns_and_succeeds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Nothing listens on port 1 of loopback.
    _, status = run(tmp_path, monkeypatch, url="http://127.0.0.1:1/lib-1.0.0.tgz")

    assert status == 0
    error = capsys.readouterr().err
    assert "warning: could not fetch lib 1.0.0" in error
    assert "scripts/vendor-assets" in error
    assert not (tmp_path / "vendor" / "lib-1.0.0").exists()


def test_the_lock_pins_chart_js_by_its_sha512() -> None:
    pins = json.loads(
        (ROOT / "adapters" / "http" / "dashboard" / "vendor.lock.json").read_text()
    )

    chart = pins["chart.js"]
    assert chart["tarball"].startswith("https://registry.npmjs.org/chart.js/-/")
    assert chart["tarball"].endswith(f"chart.js-{chart['version']}.tgz")
    assert chart["integrity"].startswith("sha512-")
    assert len(base64.b64decode(chart["integrity"].removeprefix("sha512-"))) == 64
    assert chart["script"] in chart["files"].values()

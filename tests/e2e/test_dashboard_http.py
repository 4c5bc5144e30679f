"""The dashboard's files over HTTP: the page, its own script and style, the vendored
chart library, the headers they carry, and the page without the library."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from adapters.http.app import create_app
from adapters.http.dashboard.routes import CONTENT_SECURITY_POLICY
from adapters.http.dashboard.vendor import chart_library
from adapters.settings import Settings

CHART_SOURCE = b"/* chart.js, as scripts/vendor-assets extracts it */"


def client(tmp_path: Path, *, vendored: bool, dev_issuer: bool = True) -> TestClient:
    vendor_dir = tmp_path / "vendor"
    if vendored:
        library = chart_library(vendor_dir)
        library.directory.mkdir(parents=True)
        for name in library.files:
            (library.directory / name).write_bytes(CHART_SOURCE)
    settings = Settings(
        event_store="popo",
        data_dir=tmp_path,
        vendor_dir=vendor_dir,
        dev_issuer_enabled=dev_issuer,
    )
    return TestClient(create_app(settings))


def test_the_page_loads_its_script_style_and_chart_library_from_this_service(
    tmp_path: Path,
) -> None:
    page = client(tmp_path, vendored=True).get("/dashboard")

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    # Check the policy: this origin only, no inline script, no eval.
    policy = page.headers["content-security-policy"]
    assert policy == CONTENT_SECURITY_POLICY
    assert "default-src 'self'" in policy
    assert "script-src 'self';" in policy
    assert "unsafe" not in policy
    assert page.headers["cache-control"] == "no-cache"
    # Check every script is a file of this origin, and the library's is there.
    library = chart_library(tmp_path / "vendor")
    assert f'<script src="{library.script_url}" defer></script>' in page.text
    assert '<script src="/dashboard/assets/dashboard.js" defer></script>' in page.text
    assert page.text.count("<script") == 2
    assert "http://" not in page.text
    assert "https://" not in page.text
    assert 'data-dev-issuer="true"' in page.text


def test_own_files_are_revalidated_and_the_vendored_one_cached_for_a_year(
    tmp_path: Path,
) -> None:
    http = client(tmp_path, vendored=True)
    library = chart_library(tmp_path / "vendor")

    script = http.get("/dashboard/assets/dashboard.js")
    style = http.get("/dashboard/assets/dashboard.css")
    vendored = http.get(library.script_url)

    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert script.headers["cache-control"] == "no-cache"
    assert "fetch(" in script.text
    assert style.status_code == 200
    assert style.headers["content-type"].startswith("text/css")
    assert vendored.status_code == 200
    assert vendored.content == CHART_SOURCE
    assert vendored.headers["content-type"].startswith("text/javascript")
    assert vendored.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert vendored.headers["content-security-policy"] == CONTENT_SECURITY_POLICY


def test_only_the_listed_files_are_served(tmp_path: Path) -> None:
    http = client(tmp_path, vendored=True)
    library = chart_library(tmp_path / "vendor")
    (library.directory / "other.js").write_text("not pinned")

    for path in (
        "/dashboard/assets/index.html",
        "/dashboard/assets/..%2Froutes.py",
        f"/dashboard/assets/vendor/{library.folder}/other.js",
        f"/dashboard/assets/vendor/{library.folder}/..%2F..%2Fidentity.sqlite",
        "/dashboard/assets/vendor/chart.js-0.0.1/chart.umd.js",
    ):
        answer = http.get(path)
        assert answer.status_code == 404, path
        assert answer.headers["content-type"] == "application/problem+json"


def test_without_the_chart_library_the_page_says_how_to_get_it(
    tmp_path: Path,
) -> None:
    http = client(tmp_path, vendored=False)
    library = chart_library(tmp_path / "vendor")

    page = http.get("/dashboard")

    assert page.status_code == 200
    assert library.script_url not in page.text
    assert 'data-chart-library=""' in page.text
    assert "The chart library is missing" in page.text
    assert "make install" in page.text
    missing = http.get(library.script_url)
    assert missing.status_code == 404
    assert "make install" in missing.json()["detail"]


def test_without_the_development_issuer_the_page_asks_for_an_id_token(
    tmp_path: Path,
) -> None:
    page = client(tmp_path, vendored=True, dev_issuer=False).get("/dashboard")

    assert 'data-dev-issuer="false"' in page.text
    assert 'id="token-sign-in"' in page.text


def test_the_page_is_not_in_the_api_document(tmp_path: Path) -> None:
    document = client(tmp_path, vendored=True).get("/openapi.json").json()

    assert not [path for path in document["paths"] if path.startswith("/dashboard")]

"""``GET /dashboard``: the operations page, its own script and style, and the
vendored chart library, all from this service (ADR 020).

The page is public HTML: every figure on it comes from ``GET /reports/{name}``,
which the page calls with the platform's access token (kept in the tab's
``sessionStorage``), so what the reports API refuses the page cannot show. Every
answer here carries a Content-Security-Policy that allows scripts, styles, images
and requests from this origin only, and no inline script. None of these routes is
in the OpenAPI document: they serve files, not the API.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, HTMLResponse

from adapters.http.dashboard.vendor import chart_library, pinned_libraries

STATIC = Path(__file__).with_name("static")

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
# The page and its own files change with the service: always revalidated. A
# vendored file's URL names its version, so it never changes: cached for a year.
REVALIDATE = {"Cache-Control": "no-cache"}
IMMUTABLE = {"Cache-Control": "public, max-age=31536000, immutable"}

# The page's own files, by name, and their media types.
OWN_ASSETS = {
    "dashboard.js": "text/javascript; charset=utf-8",
    "dashboard.css": "text/css; charset=utf-8",
    "favicon.svg": "image/svg+xml",
}
VENDORED_TYPES = {".js": "text/javascript; charset=utf-8", ".md": "text/plain"}


def dashboard_router(vendor_dir: Path, *, dev_issuer: bool) -> APIRouter:
    """The page's routes; ``dev_issuer``: offer the development sign-in form."""
    router = APIRouter(prefix="/dashboard", include_in_schema=False)
    template = (STATIC / "index.html").read_text()

    @router.get("")
    def page() -> HTMLResponse:
        """The page; it says so when the chart library has not been fetched."""
        library = chart_library(vendor_dir)
        script = (
            f'<script src="{escape(library.script_url)}" defer></script>'
            if library.present
            else ""
        )
        html = (
            template.replace("{{chart_script}}", script)
            .replace("{{dev_issuer}}", "true" if dev_issuer else "false")
            .replace(
                "{{chart_library}}",
                escape(f"{library.name} {library.version}" if library.present else ""),
            )
        )
        return HTMLResponse(html, headers={**SECURITY_HEADERS, **REVALIDATE})

    @router.get("/assets/{name}")
    def own_asset(name: str) -> FileResponse:
        """The page's script, style and icon."""
        if name not in OWN_ASSETS:
            raise HTTPException(404, "No such file.")
        return FileResponse(
            STATIC / name,
            media_type=OWN_ASSETS[name],
            headers={**SECURITY_HEADERS, **REVALIDATE},
        )

    @router.get("/assets/vendor/{folder}/{name}")
    def vendored(folder: str, name: str) -> FileResponse:
        """A file of a pinned library, as ``scripts/vendor-assets`` fetched it."""
        library = pinned_libraries(vendor_dir).get(folder)
        path = library.file(name) if library else None
        if path is None:
            raise HTTPException(404, "No such file: run `make install`.")
        return FileResponse(
            path,
            media_type=VENDORED_TYPES.get(path.suffix, "application/octet-stream"),
            headers={**SECURITY_HEADERS, **IMMUTABLE},
        )

    return router

"""The dashboard in a real browser: the app served on a loopback port, and Debian's
Chromium driven headless by playwright, watching everything the page does."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI
from playwright.sync_api import Browser, ConsoleMessage, Page, Request, Response

from tests.faults.deployment import free_port
from tests.faults.servers import ROOT

# Debian's package (scripts/browser installs it); playwright's own download is
# never used.
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "var" / "test-artifacts"
START_TIMEOUT_SECONDS = 30
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@contextmanager
def served(app: FastAPI) -> Iterator[str]:
    """``app`` served by uvicorn on a free loopback port, in a thread; its base URL.

    The app's lifespan is the caller's (its ``TestClient``): the served app and the
    client share one container."""
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        lifespan="off",
        log_level="warning",
        access_log=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="dashboard-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while not server.started:
        assert thread.is_alive(), "uvicorn exited during start-up"
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@dataclass
class Watched:
    """A page and what it did: console messages, uncaught errors, every request,
    the failed ones and the answers of 400 or more."""

    page: Page
    base_url: str
    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    @classmethod
    def open(cls, browser: Browser, base_url: str, viewport: dict[str, int]) -> Watched:
        context = browser.new_context(viewport=viewport)  # type: ignore[arg-type]
        page = context.new_page()
        watched = cls(page, base_url)
        page.on("console", watched._console)
        page.on("pageerror", lambda error: watched.errors.append(str(error)))
        page.on("request", watched._request)
        page.on("requestfailed", watched._failed)
        page.on("response", watched._response)
        page.goto(f"{base_url}/dashboard")
        return watched

    def _console(self, message: ConsoleMessage) -> None:
        self.console.append(f"{message.type}: {message.text}")

    def _request(self, request: Request) -> None:
        self.requests.append(request.url)

    def _failed(self, request: Request) -> None:
        self.failed.append(f"{request.url}: {request.failure}")

    def _response(self, response: Response) -> None:
        if response.status >= 400:
            self.refused.append(f"{response.status} {response.url}")

    def assert_clean(self) -> None:
        """No console message, error, failed request or refusal; every request to
        the service itself."""
        assert self.console == [], self.console
        assert self.errors == [], self.errors
        assert self.failed == [], self.failed
        assert self.refused == [], self.refused
        assert self.requests
        elsewhere = [u for u in self.requests if not u.startswith(f"{self.base_url}/")]
        assert elsewhere == [], elsewhere

    def close(self) -> None:
        self.page.context.close()


# Each figure as the page shows it: its state, its table (the values as the API
# gave them), the chart's own data and how much of its canvas is painted.
READ_FIGURES = """
() => [...document.querySelectorAll("figure.chart")].map((figure) => {
  const canvas = figure.querySelector("canvas");
  const { width, height } = canvas;
  // Read through a copy made for reading (reading the chart's own canvas back
  // makes Chromium warn on the console).
  const copy = document.createElement("canvas");
  copy.width = width;
  copy.height = height;
  const context = copy.getContext("2d", { willReadFrequently: true });
  context.drawImage(canvas, 0, 0);
  const { data } = context.getImageData(0, 0, width, height);
  let painted = 0, bars = 0;
  const colours = new Set();
  for (let i = 0; i < data.length; i += 4) {
    if (data[i + 3] === 0) continue;
    painted += 1;
    colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
    // The first series' colour, #1f77b4.
    if (Math.abs(data[i] - 31) < 6 && Math.abs(data[i + 1] - 119) < 6
        && Math.abs(data[i + 2] - 180) < 6) bars += 1;
  }
  const chart = window.Chart ? window.Chart.getChart(canvas) : undefined;
  const problem = figure.querySelector(".figure-problem");
  return {
    report: figure.dataset.report,
    state: figure.dataset.state,
    rendered: figure.dataset.rendered || null,
    title: figure.querySelector("figcaption .title").textContent,
    summary: figure.querySelector("figcaption .summary").textContent,
    columns: [...figure.querySelectorAll("thead th")].map((th) => th.dataset.column),
    rows: [...figure.querySelectorAll("tbody tr")]
      .filter((tr) => tr.querySelector("td[data-column]"))
      .map((tr) => Object.fromEntries([...tr.querySelectorAll("td")]
        .map((td) => [td.dataset.column, JSON.parse(td.dataset.value)]))),
    chart_total: chart ? chart.data.datasets.reduce(
      (n, set) => n + set.data.reduce((a, b) => a + b, 0), 0) : null,
    canvas: { width: canvas.width, height: canvas.height, painted, bars,
      colours: colours.size },
    problem: problem.hidden ? null : problem.textContent,
  };
})
"""


def figures(page: Page) -> dict[str, dict[str, Any]]:
    """The page's figures by report name."""
    found: list[dict[str, Any]] = page.evaluate(READ_FIGURES)
    return {one["report"]: one for one in found}


def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path

"""Real-browser journeys: Playwright (from PyPI) driving Debian's Chromium, never a downloaded browser.

Each journey saves full-page screenshots (desktop and a 390 px phone) under
``test-artifacts/browser/`` and runs axe-core (from npm, see package.json here) in the page,
failing on serious or critical violations. The browser tests run whenever /usr/bin/chromium exists;
with ``HEARTH_REQUIRE_BROWSER=true`` (set by .ci/run) a missing browser or axe-core is a failure.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make between
# browser steps are ordinary blocking calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
HERE = Path(__file__).resolve().parent
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts" / "browser"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def _required() -> bool:
    return os.environ.get("HEARTH_REQUIRE_BROWSER", "").lower() in {"1", "true", "yes"}


def _unavailable(reason: str) -> None:
    if _required():
        pytest.fail(f"{reason} (HEARTH_REQUIRE_BROWSER is set)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not os.path.exists(CHROMIUM):
        _unavailable("Debian's chromium is not installed (apt-get install chromium chromium-driver)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    path = HERE / "node_modules" / "axe-core" / "axe.min.js"
    if not path.exists():
        npm = shutil.which("npm")
        if npm:
            subprocess.run(  # noqa: S603 - fixed arguments
                [npm, "ci", "--no-audit", "--no-fund", "--prefix", str(HERE)],
                check=False,
                capture_output=True,
                timeout=300,
            )
    if not path.exists():
        _unavailable("axe-core is not installed (npm ci --prefix tests/browser)")
    return path.read_text(encoding="utf-8")


class Journey:
    """One browser context (one person) with helpers for screenshots and accessibility checks."""

    def __init__(self, browser: object, base_url: str, name: str, axe: str) -> None:
        self.context = browser.new_context(viewport=DESKTOP, base_url=base_url)  # type: ignore[attr-defined]
        self.page = self.context.new_page()
        self.name = name
        self.axe = axe
        self.csp_violations: list[str] = []
        self.page_errors: list[str] = []
        self.page.on(
            "console",
            lambda msg: (
                self.csp_violations.append(msg.text) if "Content Security Policy" in msg.text else None
            ),
        )
        self.page.on("pageerror", lambda err: self.page_errors.append(str(err)))
        self.step = 0

    def snapshot(self, label: str) -> None:
        """Full-page screenshots at desktop and phone width, then an axe-core check."""
        self.step += 1
        folder = ARTIFACTS / self.name
        folder.mkdir(parents=True, exist_ok=True)
        slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
        stem = f"{self.step:02d}-{slug}"
        self.page.screenshot(path=str(folder / f"{stem}-desktop.png"), full_page=True)
        self.page.set_viewport_size(PHONE)
        self.page.screenshot(path=str(folder / f"{stem}-phone.png"), full_page=True)
        self.assert_no_horizontal_overflow()
        self.page.set_viewport_size(DESKTOP)
        self.check_a11y(stem)

    def assert_no_horizontal_overflow(self) -> None:
        """At phone width nothing makes the page wider than the screen."""
        width = self.page.evaluate("document.documentElement.scrollWidth")
        viewport = self.page.viewport_size["width"]
        assert width <= viewport, f"{self.page.url} is {width}px wide at {viewport}px"

    def thread_rows_above_fold(self) -> int:
        """On a 390×844 phone, how many thread rows are fully visible before any scrolling."""
        self.page.set_viewport_size(PHONE)
        self.page.evaluate("window.scrollTo(0, 0)")
        count = self.page.evaluate(
            """() => Array.from(document.querySelectorAll('.thread-row')).filter(r => {
                 const b = r.getBoundingClientRect();
                 return b.height > 0 && b.top >= 0 && b.bottom <= window.innerHeight;
               }).length"""
        )
        self.page.set_viewport_size(DESKTOP)
        return count

    def community_nav_items(self) -> int:
        """Top-level entries of the community navigation (tabs plus the More/Manage menus)."""
        selector = ".community-nav .tabs > li, .community-nav .nav-menus > details"
        return self.page.evaluate("(s) => document.querySelectorAll(s).length", selector)

    def open_menu(self, label: str) -> None:
        """Open a <details> menu by its summary text (e.g. "Manage", "More")."""
        self.page.locator("details.menu > summary", has_text=label).first.click()

    def check_a11y(self, stem: str) -> None:
        # Runtime evaluation is not subject to the page's CSP, so the strict policy stays on.
        self.page.evaluate(self.axe + "\n;undefined")
        result = self.page.evaluate(
            "async () => { const r = await axe.run(document, {resultTypes: ['violations']});"
            " return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
            " nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))})); }"
        )
        folder = ARTIFACTS / self.name
        (folder / f"{stem}-axe.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
        serious = [v for v in result if v["impact"] in {"serious", "critical"}]
        assert not serious, f"accessibility violations on {self.page.url}: {json.dumps(serious, indent=2)}"

    def assert_clean(self) -> None:
        assert not self.csp_violations, f"CSP violations: {self.csp_violations}"
        assert not self.page_errors, f"JavaScript errors: {self.page_errors}"

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def journey(browser, live_server, axe_source) -> Iterator[Callable[[str], Journey]]:
    # The database is flushed between transactional tests but the cache is not: allauth's
    # per-address limits (one confirmation email per address every few minutes) and our rate
    # counters would otherwise leak from one journey into the next.
    from django.core.cache import cache

    cache.clear()
    opened: list[Journey] = []

    def open_journey(name: str) -> Journey:
        j = Journey(browser, live_server.url, name, axe_source)
        opened.append(j)
        return j

    yield open_journey
    for j in opened:
        j.close()

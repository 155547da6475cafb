"""Screenshot tour of a running demo site (``make run`` or ``manage.py seed_demo`` + a server).

    .venv/bin/python tests/browser/screens.py http://127.0.0.1:8111 test-artifacts/before

Logs in as the demo owner (ada), moderator (mo) and member (sam), plus an anonymous visitor, and
saves a desktop (1280×800) and a phone (390×844) screenshot of each page of the tour, full page,
named ``<role>-<page>-desktop.png`` / ``-phone.png``. Also writes ``metrics.json``: for each
page the phone page width (horizontal overflow) and, on thread lists, where the third thread row
ends (px from the top) and how many community nav links there are.
Used for the before/after record of issue 14; it asserts nothing (the journeys do).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

PASSWORD = "hearth-demo-fireside"  # the printed demo password
RITUAL_LINK = "main .ritual-row a[href*='/rituals/']"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def _first_href(page, selector: str) -> str | None:
    loc = page.locator(selector)
    if loc.count() == 0:
        return None
    return loc.first.get_attribute("href")


def measure(page) -> dict:
    return page.evaluate(
        """(NAV_ITEMS) => {
          const rows = Array.from(document.querySelectorAll('.thread-row'));
          const third = rows[2] ? Math.round(rows[2].getBoundingClientRect().bottom + window.scrollY) : null;
          const nav = document.querySelector('.community-nav');
          return {
            scrollWidth: document.documentElement.scrollWidth,
            threadRows: rows.length,
            thirdRowBottom: third,
            communityNavItems: nav ? nav.querySelectorAll(NAV_ITEMS).length : null,
          };
        }""",
        ":scope > a, :scope > details, :scope > ul > li, .nav-menus > details",
    )


def shoot(page, out: Path, name: str, results: dict) -> None:
    page.set_viewport_size(DESKTOP)
    page.wait_for_timeout(150)
    page.screenshot(path=str(out / f"{name}-desktop.png"), full_page=True)
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(150)
    results[name] = {"url": page.url, **measure(page)}
    page.screenshot(path=str(out / f"{name}-phone.png"), full_page=True)
    page.set_viewport_size(DESKTOP)


def login(page, handle: str) -> None:
    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill(handle)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_load_state()


def tour(base: str, out: Path) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    results: dict = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
        )

        def visit(page, name: str, path: str | None) -> None:
            if not path:
                return
            page.goto(path)
            shoot(page, out, name, results)

        # Anonymous visitor.
        ctx = browser.new_context(viewport=DESKTOP, base_url=base)
        page = ctx.new_page()
        visit(page, "anon-home", "/")
        visit(page, "anon-community", "/c/night-owls/")
        thread = _first_href(page, ".thread-row a[href*='/t/']")
        visit(page, "anon-thread", thread)
        author = _first_href(page, "article a[href^='/u/']")
        visit(page, "anon-author-link", author)
        ctx.close()

        for role, handle in (("member", "sam"), ("moderator", "mo"), ("owner", "ada")):
            ctx = browser.new_context(viewport=DESKTOP, base_url=base)
            page = ctx.new_page()
            login(page, handle)
            shoot(page, out, f"{role}-after-login", results)
            visit(page, f"{role}-home", "/")
            visit(page, f"{role}-community", "/c/night-owls/")
            thread = _first_href(page, ".thread-row a[href*='/t/']")
            visit(page, f"{role}-thread", thread)
            visit(page, f"{role}-notifications", "/notifications/")
            visit(page, f"{role}-rituals", "/c/night-owls/rituals/")
            if role == "member":
                visit(page, "member-notification-settings", "/settings/notifications/")
                visit(page, "member-403", "/c/night-owls/settings/")
                visit(page, "member-404", "/c/night-owls/t/999999/")
            if role == "moderator":
                visit(page, "moderator-queue", "/c/night-owls/mod/")
                visit(page, "moderator-newcomers", "/c/night-owls/newcomers/")
            if role == "owner":
                visit(page, "owner-dashboard", "/c/night-owls/dashboard/")
                visit(page, "owner-newcomers", "/c/night-owls/newcomers/")
                visit(page, "owner-ritual-new", "/c/night-owls/rituals/new/")
                visit(page, "owner-settings", "/c/night-owls/settings/")
                visit(page, "owner-community-balcony", "/c/balcony-gardeners/")
                visit(page, "owner-community-indie", "/c/indie-makers/")
                page.goto("/c/night-owls/rituals/")
                href = _first_href(page, RITUAL_LINK)
                if href and re.search(r"/rituals/\d+/$", href):
                    visit(page, "owner-ritual-detail", href)
                    visit(page, "owner-ritual-edit", href + "edit/")
            ctx.close()
        browser.close()
    (out / "metrics.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    return results


if __name__ == "__main__":
    res = tour(sys.argv[1], Path(sys.argv[2]))
    for name, r in res.items():
        print(
            f"{name:32} width={r['scrollWidth']:<5} rows={r['threadRows']:<3}"
            f" third={r['thirdRowBottom']} nav={r['communityNavItems']}"
        )

"""API journey in a real browser: create a personal access token on the settings page (shown
once), use it from a script to start a thread, see the thread on the site, revoke the token, and
open the interactive API reference (Swagger UI under the strict CSP: no violation, no error)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from communities.discussions.models import Thread
from members.models import Membership, Role
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_api_token_journey(journey, make_user, make_community):
    owner = make_user("nadia", display_name="Nadia")
    community = make_community(owner=owner, name="Night Owls", slug="owls", visibility="listed")
    assert Membership.objects.filter(user=owner, community=community, role=Role.OWNER).exists()
    j = journey("api")
    page = j.page
    page.set_default_timeout(10_000)

    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill("nadia")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)

    # 1. Settings → API tokens: create a write token for this one community.
    page.goto("/settings/")
    page.get_by_role("link", name="API tokens").click()
    expect(page.get_by_role("heading", name="API tokens")).to_be_visible()
    page.get_by_label("Name", exact=True).fill("newsletter sync")
    page.get_by_label("Write — start threads", exact=False).check()
    page.get_by_label("Communities", exact=True).select_option(label="Night Owls")
    page.get_by_role("button", name="Create token").click()
    secret = page.locator("#new-token").input_value()
    assert secret.startswith("hearth_pat_")
    j.snapshot("token created")

    # 2. A script uses it (no cookie, no CSRF token).
    script = j.context.request
    response = script.post(
        "/api/v1/communities/owls/threads",
        headers={"Authorization": f"Bearer {secret}", "Idempotency-Key": "journey-1"},
        data={
            "space": "general",
            "title": "Posted by the newsletter bot",
            "body": "Hello from **a script**.",
        },
    )
    assert response.status == 201, response.text()
    assert Thread.objects.filter(title="Posted by the newsletter bot").count() == 1

    # 3. The thread is on the site; the secret is no longer shown anywhere.
    page.goto("/c/owls/")
    expect(page.get_by_role("link", name="Posted by the newsletter bot")).to_be_visible()
    page.goto("/settings/tokens/")
    assert secret not in page.content()
    expect(page.get_by_text("newsletter sync", exact=True)).to_be_visible()

    # 4. Revoke it: the script is refused from the next call.
    page.get_by_role("button", name="Revoke").click()
    expect(page.get_by_text("Token revoked.")).to_be_visible()
    j.snapshot("token revoked")
    refused = script.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert refused.status == 401

    # 5. The interactive reference renders under the CSP (assets from this site only).
    page.goto("/api/v1/docs")
    expect(page.get_by_role("heading", name="Hearth API")).to_be_visible()
    expect(page.get_by_text("/api/v1/communities/{slug}/threads").first).to_be_visible()
    page.screenshot(path="test-artifacts/browser/api/api-reference-desktop.png", full_page=False)
    # axe-core on Swagger UI, minus one rule its markup breaks by design (each operation row is a
    # button holding the copy and lock buttons): everything else serious or critical fails.
    page.evaluate(j.axe + "\n;undefined")
    violations = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations'],"
        " rules: {'nested-interactive': {enabled: false}}})).violations"
        ".filter(v => ['serious', 'critical'].includes(v.impact))"
        ".map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '))"
    )
    assert not violations, violations
    j.assert_clean()

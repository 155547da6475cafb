"""Integrations in a real browser: the owner adds a webhook pointing at a real local receiver,
sends a test and reads the delivery log; a member makes a personal feed link and the feed
answers; the public community page advertises its feeds."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from communities.integrations.models import Webhook, WebhookDelivery
from members.models import Membership, Role
from tests.conftest import PASSWORD
from tests.integrations.http_receiver import running_receiver

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, handle: str) -> None:
    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill(handle)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def test_integrations_journey(
    journey, live_server, make_user, make_community, make_member, make_thread, settings
):
    settings.HEARTH_WEBHOOK_ALLOWED_NETWORKS = [ipaddress.ip_network("127.0.0.1/32")]
    owner = make_user("wren", display_name="Wren")
    community = make_community(
        owner=owner, visibility="public", join_policy="open", name="Bike Kitchen", slug="bike-kitchen"
    )
    member = make_member(community)
    make_thread(member, title="Tuesday repair night", body="Bring your **flat tyres**.")
    make_thread(member, title="Spare parts swap", body="Chains, cables, brake pads.")

    with running_receiver() as receiver:
        j = journey("integrations")
        page = j.page
        page.set_default_timeout(10_000)
        log_in(page, "wren")

        # The community page announces its feeds.
        page.goto("/c/bike-kitchen/")
        assert page.locator('link[rel=alternate][type="application/atom+xml"]').count() >= 1
        expect(page.get_by_role("link", name="Atom")).to_be_visible()

        # Settings → Integrations → Webhooks.
        page.goto("/c/bike-kitchen/settings/")
        j.snapshot("community settings with integrations")
        page.get_by_role("link", name="Manage webhooks").click()
        j.snapshot("webhooks empty")
        page.get_by_role("link", name="Add a webhook").click()
        page.get_by_label("Payload URL").fill("http://10.0.0.7/hook")
        page.get_by_label("A thread is started (thread.created)").check()
        page.get_by_role("button", name="Add webhook").click()
        expect(page.get_by_text("a private network address")).to_be_visible()
        j.snapshot("webhook refused private address")
        page.get_by_label("Payload URL").fill(receiver.url())
        page.get_by_label("Description").fill("Workshop chat bridge")
        page.get_by_role("button", name="Add webhook").click()
        expect(page.get_by_role("heading", name="Signing secret")).to_be_visible()
        hook = Webhook.objects.get(community=community)
        expect(page.get_by_text(hook.secret)).to_be_visible()
        j.snapshot("webhook detail")

        page.get_by_role("button", name="Send a test").click()
        expect(page.get_by_role("heading", name="Delivery log")).to_be_visible()
        expect(page.locator("table.deliveries")).to_contain_text("ping")
        expect(page.locator("table.deliveries")).to_contain_text("200")
        assert receiver.requests and receiver.requests[0].headers["Hearth-Event"] == "ping"
        j.snapshot("delivery log")
        page.locator("table.deliveries a").first.click()
        expect(page.get_by_role("heading", name="Payload")).to_be_visible()
        j.snapshot("delivery detail")
        assert WebhookDelivery.objects.filter(webhook=hook, status="succeeded").count() == 1
        j.assert_clean()

    # A member makes a personal feed link.
    m = journey("integrations-member")
    page = m.page
    page.set_default_timeout(10_000)
    Membership.objects.filter(pk=member.pk).update(role=Role.MEMBER)
    member.user.set_password(PASSWORD)
    member.user.save()
    log_in(page, member.user.handle)
    page.goto("/settings/feeds/")
    m.snapshot("feed settings")
    page.get_by_role("button", name="Make a link").click()
    expect(page.get_by_text("copy it now")).to_be_visible()
    m.snapshot("feed link shown once")
    atom_url = page.locator("#new-atom").input_value()
    assert "/feeds/" in atom_url
    feed = page.request.get(live_server.url + urlsplit(atom_url).path)  # SITE_URL is not the test server
    assert feed.status == 200
    assert "Tuesday repair night" in feed.text()
    m.assert_clean()

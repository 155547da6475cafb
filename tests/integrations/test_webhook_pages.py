"""The owner's webhook pages: access (owner only; other ids 404), create/edit/rotate/test/delete,
the paginated delivery log and its query budget."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from django.utils import timezone

from communities.integrations.models import DeliveryStatus, Webhook, WebhookAttempt, WebhookDelivery


@pytest.fixture
def hook(make_webhook, community, receiver) -> Webhook:
    return make_webhook(community, receiver)


def page_urls(community, hook, delivery=None) -> list[str]:
    urls = [
        reverse("webhook-list", args=[community.slug]),
        reverse("webhook-new", args=[community.slug]),
        reverse("webhook-detail", args=[community.slug, hook.pk]),
        reverse("webhook-deliveries", args=[community.slug, hook.pk]),
    ]
    if delivery is not None:
        urls.append(reverse("webhook-delivery", args=[community.slug, hook.pk, delivery.pk]))
    return urls


def post_urls(community, hook) -> list[str]:
    return [
        reverse("webhook-rotate", args=[community.slug, hook.pk]),
        reverse("webhook-test", args=[community.slug, hook.pk]),
        reverse("webhook-delete", args=[community.slug, hook.pk]),
    ]


def make_delivery(hook, n: int = 1, **fields) -> WebhookDelivery:
    fields.setdefault("status", DeliveryStatus.SUCCEEDED)
    fields.setdefault("response_status", 200)
    fields.setdefault("duration_ms", 42)
    fields.setdefault("attempts", 1)
    return WebhookDelivery.objects.create(
        webhook=hook, event="post.created", event_id=f"evt-{hook.pk}-{n}", body='{"x": 1}', **fields
    )


@pytest.mark.parametrize(
    ("who", "expected"),
    [("owner", 200), ("moderator", 403), ("member", 403), ("outsider", 403), ("anonymous", 302)],
)
def test_listed_community_pages_are_for_owners(
    client, community, hook, owner, moderator, member, outsider, who, expected
):
    delivery = make_delivery(hook)
    people = {"owner": owner.user, "moderator": moderator.user, "member": member.user, "outsider": outsider}
    if who in people:
        client.force_login(people[who])
    for url in page_urls(community, hook, delivery):
        assert client.get(url).status_code == expected, url
    for url in post_urls(community, hook):
        if who == "owner":
            continue
        assert client.post(url).status_code == expected, url
    assert Webhook.objects.filter(pk=hook.pk).exists()


def test_secret_community_pages_are_404_for_outsiders(
    client, make_community, make_webhook, receiver, outsider
):
    secret = make_community(visibility="secret")
    hook = make_webhook(secret, receiver)
    delivery = make_delivery(hook)
    for person in (outsider, None):
        client.logout()
        if person:
            client.force_login(person)
        for url in page_urls(secret, hook, delivery):
            assert client.get(url).status_code == 404, url
        for url in post_urls(secret, hook):
            assert client.post(url).status_code == 404, url


def test_ids_of_another_community_are_404(client, community, owner, make_community, make_webhook, receiver):
    other = make_community()
    other_hook = make_webhook(other, receiver)
    other_delivery = make_delivery(other_hook)
    my_hook = make_webhook(community, receiver)
    client.force_login(owner.user)
    for url in page_urls(community, other_hook)[2:] + post_urls(community, other_hook):
        method = client.post if url.endswith(("rotate/", "test/", "delete/")) else client.get
        assert method(url).status_code == 404, url
    url = reverse("webhook-delivery", args=[community.slug, my_hook.pk, other_delivery.pk])
    assert client.get(url).status_code == 404
    assert Webhook.objects.filter(pk=other_hook.pk).exists()


def test_owner_creates_edits_rotates_tests_and_deletes(
    client, community, owner, receiver, hook_settings, django_capture_on_commit_callbacks
):
    client.force_login(owner.user)
    response = client.post(
        reverse("webhook-new", args=[community.slug]),
        {"url": receiver.url(), "description": "Newsletter", "events": ["thread.created", "member.joined"]},
    )
    hook = Webhook.objects.get(community=community)
    assert response.status_code == 302 and response["Location"] == hook.get_absolute_url()
    assert hook.events == ["thread.created", "member.joined"]
    assert hook.secret.startswith("whsec_") and len(hook.secret) > 40
    detail = client.get(hook.get_absolute_url()).content.decode()
    assert hook.secret in detail and "Hearth-Signature" in detail

    # Edit: the form keeps the community, secret and counters out of reach.
    response = client.post(
        hook.get_absolute_url(),
        {
            "url": receiver.url("/v2"),
            "description": "",
            "events": ["post.created"],
            "is_active": "on",
            "secret": "mine",
            "community": "999",
            "failed_deliveries": "7",
        },
    )
    assert response.status_code == 302
    updated = Webhook.objects.get(pk=hook.pk)
    assert (updated.url, updated.events, updated.secret) == (
        receiver.url("/v2"),
        ["post.created"],
        hook.secret,
    )
    assert updated.community_id == community.pk and updated.failed_deliveries == 0

    # No event chosen: refused, with a message, what was typed kept.
    response = client.post(hook.get_absolute_url(), {"url": receiver.url("/v3"), "events": []})
    assert response.status_code == 400
    assert "Choose at least one event." in response.content.decode()
    assert receiver.url("/v3") in response.content.decode()

    client.post(reverse("webhook-rotate", args=[community.slug, hook.pk]))
    rotated = Webhook.objects.get(pk=hook.pk)
    assert rotated.secret != hook.secret and rotated.secret_rotated_at is not None

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("webhook-test", args=[community.slug, hook.pk]))
    assert response.status_code == 302
    (ping,) = receiver.wait_for(1)
    assert ping.headers["Hearth-Event"] == "ping"
    assert ping.json["type"] == "ping"
    delivery = WebhookDelivery.objects.get(webhook=hook)
    assert delivery.status == DeliveryStatus.SUCCEEDED
    log = client.get(reverse("webhook-deliveries", args=[community.slug, hook.pk])).content.decode()
    assert "ping" in log and "200" in log
    one = client.get(
        reverse("webhook-delivery", args=[community.slug, hook.pk, delivery.pk])
    ).content.decode()
    assert "Delivered" in one and json.loads(delivery.body)["type"] == "ping"

    client.post(reverse("webhook-delete", args=[community.slug, hook.pk]))
    assert not Webhook.objects.filter(pk=hook.pk).exists()
    assert not WebhookDelivery.objects.filter(pk=delivery.pk).exists()


def test_turning_a_disabled_webhook_on_again_resets_failures(client, community, owner, hook):
    Webhook.objects.filter(pk=hook.pk).update(
        is_active=False, failed_deliveries=1, disabled_at=timezone.now(), disabled_reason="Turned off."
    )
    client.force_login(owner.user)
    page = client.get(hook.get_absolute_url()).content.decode()
    assert "Hearth turned this webhook off" in page
    client.post(hook.get_absolute_url(), {"url": hook.url, "events": hook.events, "is_active": "on"})
    hook.refresh_from_db()
    assert hook.is_active and hook.failed_deliveries == 0 and hook.disabled_at is None


def test_webhook_limit_per_community(client, community, owner, receiver, hook_settings):
    client.force_login(owner.user)
    for _ in range(10):
        client.post(
            reverse("webhook-new", args=[community.slug]), {"url": receiver.url(), "events": ["post.created"]}
        )
    response = client.post(
        reverse("webhook-new", args=[community.slug]), {"url": receiver.url(), "events": ["post.created"]}
    )
    assert response.status_code == 400
    assert "up to 10 webhooks" in response.content.decode()
    assert Webhook.objects.filter(community=community).count() == 10


def test_unknown_event_names_are_ignored_or_refused(client, community, owner, receiver, hook_settings):
    client.force_login(owner.user)
    response = client.post(
        reverse("webhook-new", args=[community.slug]), {"url": receiver.url(), "events": ["ping", "rm -rf"]}
    )
    assert response.status_code == 400
    assert not Webhook.objects.exists()


@pytest.mark.parametrize("count", [5, 60])
def test_delivery_log_paginates_with_a_fixed_query_count(
    client, community, owner, hook, count, django_assert_max_num_queries
):
    for n in range(count):
        d = make_delivery(hook, n, status=DeliveryStatus.FAILED if n % 3 else DeliveryStatus.SUCCEEDED)
        WebhookAttempt.objects.create(delivery=d, number=1, response_status=500, duration_ms=10)
    client.force_login(owner.user)
    url = reverse("webhook-deliveries", args=[community.slug, hook.pk])
    with django_assert_max_num_queries(14):
        response = client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count("<code>post.created</code>") == min(count, 25)
    if count > 25:
        assert "Page 1 of 3" in body
        last = client.get(url + "?page=3").content.decode()
        assert last.count("<code>post.created</code>") == count - 50
        assert client.get(url + "?page=abc").status_code == 200
        assert client.get(url + "?page=999").status_code == 200


def test_detail_page_query_count(client, community, owner, hook, django_assert_max_num_queries):
    for n in range(30):
        make_delivery(hook, n)
    client.force_login(owner.user)
    with django_assert_max_num_queries(14):
        assert client.get(hook.get_absolute_url()).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(reverse("webhook-list", args=[community.slug])).status_code == 200


def test_send_test_is_rate_limited(
    client, community, owner, hook, settings, django_capture_on_commit_callbacks
):
    settings.RATE_LIMITS_ENABLED = True
    client.force_login(owner.user)
    url = reverse("webhook-test", args=[community.slug, hook.pk])
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(10):
            assert client.post(url).status_code == 302
        response = client.post(url)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "10 times an hour" in response.content.decode()
    assert WebhookDelivery.objects.filter(webhook=hook, event="ping").count() == 10

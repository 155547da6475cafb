"""Webhook URLs that would reach inside the operator's network are refused: when the owner saves
them (a clear message on the page) and again at every try (DNS may change)."""

from __future__ import annotations

import ipaddress
import socket

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from communities.integrations import egress, services
from communities.integrations.models import DeliveryStatus, Webhook, WebhookAttempt, WebhookDelivery

REAL_GETADDRINFO = socket.getaddrinfo


@pytest.fixture
def fake_dns(monkeypatch):
    """Answers for made-up names, patched at the socket.getaddrinfo boundary only."""
    answers: dict[str, list[str]] = {}

    def getaddrinfo(host, port, *args, **kwargs):
        if host in answers:
            out = []
            for addr in answers[host]:
                family = socket.AF_INET6 if ":" in addr else socket.AF_INET
                sockaddr = (addr, port, 0, 0) if family == socket.AF_INET6 else (addr, port)
                out.append((family, socket.SOCK_STREAM, 6, "", sockaddr))
            return out
        return REAL_GETADDRINFO(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


REFUSED = [
    ("http://127.0.0.1/hook", "loopback"),
    ("http://127.8.9.10:8080/hook", "loopback"),
    ("http://10.0.0.1/hook", "private"),
    ("http://10.255.255.254/hook", "private"),
    ("http://172.16.5.4/", "private"),
    ("http://192.168.1.1/", "private"),
    ("http://169.254.169.254/latest/meta-data/", "metadata"),
    ("http://169.254.1.1/", "link-local"),
    ("http://[::1]/hook", "loopback"),
    ("http://[::ffff:127.0.0.1]/hook", "loopback"),
    ("http://[fe80::1]/", "link-local"),
    ("http://[fd00:ec2::254]/", "metadata"),
    ("http://0.0.0.0/", "unspecified"),
    ("http://224.0.0.1/", "multicast"),
    ("http://240.0.0.1/", "reserved"),
    ("http://100.64.0.1/", "non-public"),
    ("http://localhost/hook", "loopback"),  # real resolution of a name to a private address
]


@pytest.mark.parametrize(("url", "why"), REFUSED)
def test_private_and_special_addresses_are_refused(url, why, settings):
    settings.HEARTH_WEBHOOK_ALLOWED_NETWORKS = []
    with pytest.raises(egress.UnsafeURL) as exc:
        egress.check_url(url)
    assert why in str(exc.value)


def test_dns_name_resolving_to_private_address_is_refused(fake_dns, settings):
    settings.HEARTH_WEBHOOK_ALLOWED_NETWORKS = []
    fake_dns["intranet.example.test"] = ["10.1.2.3"]
    with pytest.raises(egress.UnsafeURL, match=r"intranet\.example\.test resolves to 10\.1\.2\.3"):
        egress.check_url("https://intranet.example.test/hook")
    # One private answer among public ones is enough to refuse (it could be picked later).
    fake_dns["mixed.example.test"] = ["93.184.216.34", "192.168.0.10"]
    with pytest.raises(egress.UnsafeURL, match=r"192\.168\.0\.10"):
        egress.check_url("https://mixed.example.test/hook")
    fake_dns["public.example.test"] = ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"]
    target = egress.check_url("https://public.example.test/hook?x=1")
    assert (target.address, target.port, target.path) == ("93.184.216.34", 443, "/hook?x=1")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.org/", "http:// or https://"),
        ("file:///etc/passwd", "http:// or https://"),
        ("gopher://example.org/", "http:// or https://"),
        ("https://user:pw@example.org/", "user names and passwords"),
        ("https:///nohost", "host name"),
        ("http://example.org:99999/", "not a valid URL"),
        ("not a url", "http:// or https://"),
        ("https://" + "a" * 600 + ".org/", "under 500"),
        ("https://exa\x00mple.org/", "control characters"),
        ("https://example.org/a b", "spaces"),
        ("https://" + "b" * 70 + ".invalid/", "could not be resolved"),
        ("https://[::1/", "not a valid URL"),
    ],
)
def test_bad_urls_are_refused(url, message):
    with pytest.raises(egress.UnsafeURL, match=message):
        egress.check_url(url)


def test_operator_setting_allows_listed_networks_only(settings):
    settings.HEARTH_WEBHOOK_ALLOWED_NETWORKS = [ipaddress.ip_network("127.0.0.1/32")]
    assert egress.check_url("http://127.0.0.1:9/x").address == "127.0.0.1"
    for url in ("http://127.0.0.2/", "http://10.0.0.1/", "http://[::1]/"):
        with pytest.raises(egress.UnsafeURL):
            egress.check_url(url)
    # Metadata stays refused even inside an allowed network.
    settings.HEARTH_WEBHOOK_ALLOWED_NETWORKS = [ipaddress.ip_network("169.254.0.0/16")]
    with pytest.raises(egress.UnsafeURL, match="metadata"):
        egress.check_url("http://169.254.169.254/")


def test_allowed_networks_env_parsing(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from config.env import env_networks

    monkeypatch.setenv("HEARTH_WEBHOOK_ALLOWED_NETWORKS", "10.0.0.0/8, 127.0.0.1,fd00::/8")
    assert [str(n) for n in env_networks("HEARTH_WEBHOOK_ALLOWED_NETWORKS")] == [
        "10.0.0.0/8",
        "127.0.0.1/32",
        "fd00::/8",
    ]
    monkeypatch.setenv("HEARTH_WEBHOOK_ALLOWED_NETWORKS", "10.0.0.0/8,intranet")
    with pytest.raises(ImproperlyConfigured, match="HEARTH_WEBHOOK_ALLOWED_NETWORKS"):
        env_networks("HEARTH_WEBHOOK_ALLOWED_NETWORKS")


def test_service_refuses_private_url_with_a_message(community, owner, settings):
    settings.HEARTH_WEBHOOK_ALLOWED_NETWORKS = []
    with pytest.raises(ValidationError) as exc:
        services.webhook_create(
            community=community, actor=owner.user, url="http://10.0.0.8/hook", chosen_events=["post.created"]
        )
    assert "private network address" in str(exc.value.message_dict["url"])
    assert not Webhook.objects.exists()


def test_form_shows_refusal_and_keeps_what_was_typed(client, community, owner, settings):
    settings.HEARTH_WEBHOOK_ALLOWED_NETWORKS = []
    client.force_login(owner.user)
    response = client.post(
        reverse("webhook-new", args=[community.slug]),
        {"url": "http://169.254.169.254/latest", "description": "my bridge", "events": ["post.created"]},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "metadata address" in body
    assert 'value="http://169.254.169.254/latest"' in body
    assert 'value="my bridge"' in body
    assert not Webhook.objects.exists()


def test_refused_again_at_delivery_time_when_dns_changes(
    fake_dns, community, owner, settings, django_capture_on_commit_callbacks
):
    settings.HEARTH_WEBHOOK_ALLOWED_NETWORKS = []
    settings.HEARTH_WEBHOOK_RETRY_BASE = 0.0
    fake_dns["rebind.example.test"] = ["93.184.216.34"]
    hook = services.webhook_create(
        community=community,
        actor=owner.user,
        url="http://rebind.example.test/hook",
        chosen_events=["post.created"],
    )
    fake_dns["rebind.example.test"] = ["127.0.0.1"]  # the name now points inside
    connections: list[object] = []
    real_create = socket.create_connection

    def spy(address, *args, **kwargs):
        connections.append(address)
        return real_create(address, *args, **kwargs)

    import communities.integrations.egress as egress_module

    original = egress_module.socket.create_connection
    egress_module.socket.create_connection = spy
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.webhook_send_test(webhook=hook)
    finally:
        egress_module.socket.create_connection = original
    delivery = WebhookDelivery.objects.get(webhook=hook)
    assert delivery.status == DeliveryStatus.FAILED
    attempt = WebhookAttempt.objects.get(delivery=delivery)
    assert attempt.error.startswith("Refused:") and "loopback" in attempt.error
    assert connections == []  # never connected


def test_changing_the_url_to_a_private_one_is_refused(client, community, owner, fake_dns, settings):
    settings.HEARTH_WEBHOOK_ALLOWED_NETWORKS = []
    fake_dns["hooks.example.test"] = ["93.184.216.34"]
    hook = services.webhook_create(
        community=community,
        actor=owner.user,
        url="https://hooks.example.test/in",
        chosen_events=["post.created"],
    )
    client.force_login(owner.user)
    response = client.post(
        hook.get_absolute_url(),
        {"url": "http://[::1]:8080/in", "events": ["post.created"], "is_active": "on"},
    )
    assert response.status_code == 400
    assert "loopback" in response.content.decode()
    hook.refresh_from_db()
    assert hook.url == "https://hooks.example.test/in"

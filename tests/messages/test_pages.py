"""Message pages: refused sends keep the text, rate limits answer 429, the welcome template,
query budgets constant in message count, search never shows messages."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse

from members.messages import services
from members.messages.models import CommunityMessaging, Conversation, Message
from moderation.models import WordFilter
from tests.messages.conftest import age

pytestmark = pytest.mark.django_db


def test_start_from_a_profile_link_and_reply(client, pm):
    client.force_login(pm.alice.user)
    page = client.get(reverse("messages-new") + f"?to={pm.bob.user.handle}&c={pm.community.slug}")
    assert page.status_code == 200
    assert "not end-to-end encrypted" in page.content.decode()
    response = client.post(
        reverse("messages-new"),
        {"to": pm.bob.user.handle, "community": pm.community.slug, "subject": "", "body": "Hello *Bob*"},
    )
    conv = Conversation.objects.get()
    assert response.status_code == 302 and response["Location"] == conv.get_absolute_url()
    client.force_login(pm.bob.user)
    inbox = client.get(reverse("messages-inbox")).content.decode()
    assert "Hello Bob" in inbox  # the excerpt
    assert 'class="badge"' in inbox
    page = client.get(conv.get_absolute_url()).content.decode()
    assert "<em>Bob</em>" in page
    response = client.post(reverse("messages-send", args=[conv.pk]), {"body": "Hi Alice"})
    assert response.status_code == 302
    assert Message.objects.filter(conversation=conv).count() == 2


def test_refused_send_keeps_the_text(client, pm):
    WordFilter.objects.create(community=pm.community, phrase="forbidden", action="block")
    client.force_login(pm.alice.user)
    response = client.post(
        reverse("messages-new"),
        {"to": pm.bob.user.handle, "community": pm.community.slug, "body": "a forbidden word and more text"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "a forbidden word and more text" in body and "doesn&#x27;t allow" in body
    assert not Conversation.objects.exists()


def test_unknown_recipient_on_post_keeps_the_text(client, pm):
    client.force_login(pm.alice.user)
    response = client.post(
        reverse("messages-new"),
        {"to": pm.dave.user.handle, "community": pm.community.slug, "body": "kept text"},
    )
    assert response.status_code == 400
    assert "kept text" in response.content.decode()
    assert "isn&#x27;t someone you can message" in response.content.decode()


@override_settings(RATE_LIMITS_ENABLED=True)
def test_rate_limit_429_with_retry_after_and_text_kept(client, pm):
    cache.clear()
    conv = services.conversation_start(
        sender=pm.alice.user, recipients=[pm.bob.user], community=pm.community, body_md="first"
    )
    client.force_login(pm.alice.user)
    response = client.post(reverse("messages-send", args=[conv.pk]), {"body": "too quick, keep me"})
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert "too quick, keep me" in response.content.decode()
    cache.clear()


def test_daily_cap_answers_429(client, pm, make_member):
    CommunityMessaging.objects.create(community=pm.community, daily_cap=1)
    people = [age(make_member(pm.community), 60) for _ in range(2)]
    client.force_login(pm.alice.user)
    ok = client.post(
        reverse("messages-new"), {"to": people[0].user.handle, "community": pm.community.slug, "body": "one"}
    )
    assert ok.status_code == 302
    refused = client.post(
        reverse("messages-new"),
        {"to": people[1].user.handle, "community": pm.community.slug, "body": "two, keep"},
    )
    assert refused.status_code == 429 and "two, keep" in refused.content.decode()


def test_welcome_prefill_from_the_owner_template(client, pm):
    CommunityMessaging.objects.create(
        community=pm.community, welcome_template_md="Hey {name}, welcome to {community}!"
    )
    client.force_login(pm.welcomer.user)
    url = reverse("messages-new") + f"?to={pm.newbie.user.handle}&c={pm.community.slug}&welcome=1"
    body = client.get(url).content.decode()
    assert f"Hey {pm.newbie.user.name}, welcome to {pm.community.name}!" in body


def test_owner_edits_messaging_settings_and_audit(client, pm):
    from moderation.models import AuditLogEntry

    client.force_login(pm.owner.user)
    url = reverse("messages-community-settings", args=[pm.community.slug])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "welcome_template_md": "Hi {name}",
            "newcomer_days": "2",
            "newcomer_daily_cap": "4",
            "daily_cap": "10",
        },
    )
    assert response.status_code == 302
    row = CommunityMessaging.objects.get(community=pm.community)
    assert row.members_may_message is False and row.newcomer_days == 2
    assert AuditLogEntry.objects.filter(community=pm.community, data__messaging__isnull=False).exists()
    bad = client.post(url, {"newcomer_days": "999", "newcomer_daily_cap": "0", "daily_cap": "x"})
    assert bad.status_code == 400


def test_settings_and_blocking_pages(client, pm):
    client.force_login(pm.bob.user)
    assert client.get(reverse("messages-settings")).status_code == 200
    assert client.post(reverse("messages-settings"), {"who_may_message": "nobody"}).status_code == 302
    assert client.post(reverse("messages-settings"), {"who_may_message": "bogus"}).status_code == 400
    assert (
        client.post(reverse("messages-block", args=[pm.alice.user.handle]), {"block": "1"}).status_code == 302
    )
    assert pm.alice.user.handle in client.get(reverse("messages-settings")).content.decode()
    assert (
        client.post(reverse("messages-block", args=[pm.alice.user.handle]), {"block": "0"}).status_code == 302
    )
    assert (
        client.post(reverse("messages-block", args=[pm.dave.user.handle]), {"block": "1"}).status_code == 404
    )


def test_live_update_poll(client, pm):
    conv = services.conversation_start(
        sender=pm.alice.user, recipients=[pm.bob.user], community=pm.community, body_md="first"
    )
    first = Message.objects.get(conversation=conv)
    services.message_send(sender=pm.alice.user, conversation=conv, body_md="second one")
    client.force_login(pm.bob.user)
    body = client.get(reverse("messages-poll", args=[conv.pk]) + f"?after={first.pk}").content.decode()
    assert "second one" in body and "first" not in body
    last = Message.objects.latest("pk")
    assert f"after={last.pk}" in body
    assert (
        "second one"
        not in client.get(reverse("messages-poll", args=[conv.pk]) + f"?after={last.pk}").content.decode()
    )
    assert client.get(reverse("messages-poll", args=[conv.pk]) + "?after=zzz").status_code == 200


def _seed(pm, n_messages: int, n_conversations: int, make_member) -> Conversation:
    people = [age(make_member(pm.community), 60) for _ in range(n_conversations)]
    conv = Conversation.objects.filter(participants__user=pm.alice.user).order_by("pk").first()
    for i, person in enumerate(people):
        c = services.conversation_start(
            sender=person.user, recipients=[pm.alice.user], community=pm.community, body_md=f"hello {i}"
        )
        conv = conv or c
    for i in range(n_messages):
        Message.objects.create(
            conversation=conv,
            sender=pm.alice.user if i % 2 else people[0].user,
            body_md=f"m{i}",
            body_html=f"<p>m{i}</p>",
            digest=f"d{i}",
        )
    return conv


def _count(client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_inbox_and_conversation_query_budgets(client, pm, make_member, django_assert_max_num_queries):
    """Budgets hold, and the counts are the same with 3 messages in 2 conversations and with
    120 more messages in 30 more conversations (inbox pages hold 25)."""
    conv = _seed(pm, 3, 2, make_member)
    client.force_login(pm.alice.user)
    inbox, page, poll = (
        reverse("messages-inbox"),
        conv.get_absolute_url(),
        reverse("messages-poll", args=[conv.pk]) + "?after=0",
    )
    client.get(inbox)  # session warm-up
    small = [_count(client, inbox), _count(client, page), _count(client, poll)]
    _seed(pm, 120, 30, make_member)
    client.force_login(pm.alice.user)
    client.get(inbox)
    with django_assert_max_num_queries(9):
        assert client.get(inbox).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(page).status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get(poll).status_code == 200
    large = [_count(client, inbox), _count(client, page), _count(client, poll)]
    assert small == large, (small, large)


def test_search_never_shows_messages(client, pm):
    services.conversation_start(
        sender=pm.alice.user,
        recipients=[pm.bob.user],
        community=pm.community,
        body_md="zanzibarquokka privatetoken",
    )
    conv_url = Conversation.objects.get().get_absolute_url()
    for who in (pm.carol.user, pm.bob.user):
        client.force_login(who)
        for url in (
            reverse("search") + "?q=zanzibarquokka",
            reverse("community-search", args=[pm.community.slug]) + "?q=zanzibarquokka",
        ):
            response = client.get(url)
            assert response.status_code == 200
            body = response.content.decode()
            assert "privatetoken" not in body and f'href="{conv_url}"' not in body


def test_unread_counts_in_inbox_and_header(client, pm):
    from members.messages.selectors import unread_conversation_count

    conv = services.conversation_start(
        sender=pm.alice.user, recipients=[pm.bob.user], community=pm.community, body_md="one"
    )
    services.message_send(sender=pm.alice.user, conversation=conv, body_md="two")
    services.conversation_start(
        sender=pm.carol.user, recipients=[pm.bob.user], community=pm.community, body_md="x"
    )
    assert unread_conversation_count(pm.bob.user) == 2
    client.force_login(pm.bob.user)
    inbox = client.get(reverse("messages-inbox")).content.decode()
    assert 'aria-label="2 unread"' in inbox and 'aria-label="1 unread"' in inbox
    assert "Messages: 2 unread" in inbox  # the header link
    client.get(conv.get_absolute_url())  # reading marks it read
    assert unread_conversation_count(pm.bob.user) == 1
    # Muted conversations don't count in the header.
    from members.messages.models import Participant

    Participant.objects.filter(user=pm.bob.user).update(muted=True)
    assert unread_conversation_count(pm.bob.user) == 0


def test_inbox_excerpt_is_plain_text_escaped_once(client, pm):
    services.conversation_start(
        sender=pm.alice.user,
        recipients=[pm.bob.user],
        community=pm.community,
        body_md="Salt & *pepper* <b>x</b>",
    )
    client.force_login(pm.bob.user)
    inbox = client.get(reverse("messages-inbox")).content.decode()
    assert "Salt &amp; pepper &lt;b&gt;x&lt;/b&gt;" in inbox
    assert "&amp;amp;" not in inbox


def test_new_message_page_offers_the_existing_conversation(client, pm):
    conv = services.conversation_start(
        sender=pm.alice.user, recipients=[pm.bob.user], community=pm.community, body_md="earlier"
    )
    client.force_login(pm.bob.user)
    body = client.get(reverse("messages-new") + f"?to={pm.alice.user.handle}").content.decode()
    assert "You already have a conversation" in body and conv.get_absolute_url() in body
    body = client.get(reverse("messages-new") + f"?to={pm.carol.user.handle}").content.decode()
    assert "You already have a conversation" not in body


def test_mark_all_read(client, pm, django_assert_max_num_queries):
    from members.messages.selectors import unread_conversation_count

    for sender in (pm.alice, pm.carol):
        services.conversation_start(
            sender=sender.user, recipients=[pm.bob.user], community=pm.community, body_md="hi"
        )
    assert unread_conversation_count(pm.bob.user) == 2
    client.force_login(pm.bob.user)
    client.get(reverse("messages-inbox"))
    with django_assert_max_num_queries(6):
        assert client.post(reverse("messages-mark-all-read")).status_code == 302
    assert unread_conversation_count(pm.bob.user) == 0


def test_header_count_is_cached_and_forgotten_by_every_write(client, pm, django_assert_max_num_queries):
    """The header's "Messages: N unread" comes from the cache between pages; each write that
    changes it (a message, reading, muting, leaving, blocking) shows on the very next page."""
    from members.context_processors import header_counts
    from members.messages.models import Participant

    client.force_login(pm.bob.user)

    def header() -> int:
        return client.get(reverse("home")).context["unread_conversations"]

    assert header() == 0  # cached as 0
    conv = services.conversation_start(
        sender=pm.alice.user, recipients=[pm.bob.user], community=pm.community, body_md="one"
    )
    assert header() == 1
    with django_assert_max_num_queries(0):
        assert header_counts(pm.bob.user) == (1, 1)  # bell and messages, from the cache
    client.get(conv.get_absolute_url())  # reading marks it read (and its notification)
    assert header() == 0
    services.message_send(sender=pm.alice.user, conversation=conv, body_md="two")
    assert header() == 1
    participant = Participant.objects.get(conversation=conv, user=pm.bob.user)
    services.conversation_set_muted(participant=participant, muted=True)
    assert header() == 0
    services.conversation_set_muted(participant=participant, muted=False)
    assert header() == 1
    services.block_set(user=pm.bob.user, blocked=pm.alice.user)
    assert header() == 0

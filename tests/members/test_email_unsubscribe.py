"""One-click unsubscribe: works logged out, is unforgeable, changes exactly one preference."""

from __future__ import annotations

import re

import pytest
from django.core import mail, signing
from django.test import Client
from django.urls import reverse

from members.notifications.emails import UNSUBSCRIBE_SALT, unsubscribe_token
from members.notifications.models import EmailDelivery, Notification, NotificationPreference
from members.notifications.selectors import email_deliveries
from members.profiles.models import DigestFrequency, Profile

K = Notification.Kind


def _path(link: str) -> str:
    return "/" + link.split("://", 1)[1].split("/", 1)[1]


@pytest.fixture
def mention_email(notify, member, owner, thread):
    notify(
        member.user, K.MENTION, community_id=thread.community_id, thread_id=thread.pk, actor_id=owner.user_id
    )
    return mail.outbox[-1]


def test_footer_link_works_logged_out_and_changes_only_that_kind(mention_email, member):
    before = email_deliveries(member.user)
    url = _path(re.search(r"https?://\S+/email/unsubscribe/\S+/", mention_email.body).group(0))
    anonymous = Client(enforce_csrf_checks=True)
    page = anonymous.get(url)
    assert page.status_code == 200
    assert b"Stop sending" in page.content
    assert email_deliveries(member.user) == before  # GET changes nothing
    # The confirm form posts back with the CSRF token the GET set.
    token = page.cookies["csrftoken"].value if "csrftoken" in page.cookies else ""
    done = anonymous.post(url, {"csrfmiddlewaretoken": token})
    assert done.status_code == 200
    assert b"Done" in done.content
    after = email_deliveries(member.user)
    assert after[K.MENTION] == EmailDelivery.NEVER
    assert {k: v for k, v in after.items() if k != K.MENTION} == {
        k: v for k, v in before.items() if k != K.MENTION
    }
    assert Profile.objects.get(user=member.user).digest_frequency == DigestFrequency.WEEKLY


def test_rfc8058_one_click_post_without_cookies(mention_email, member):
    link = mention_email.extra_headers["List-Unsubscribe"].strip("<>")
    response = Client(enforce_csrf_checks=True).post(
        _path(link), data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert (
        NotificationPreference.objects.get(user=member.user, kind=K.MENTION).delivery == EmailDelivery.NEVER
    )


def test_digest_link_turns_off_digests_only(client, member):
    NotificationPreference.objects.create(user=member.user, kind=K.REPLY, delivery=EmailDelivery.DIGEST)
    url = reverse("email-unsubscribe", args=[unsubscribe_token(member.user_id, "digest")])
    assert client.post(url).status_code == 200
    assert Profile.objects.get(user=member.user).digest_frequency == DigestFrequency.OFF
    assert NotificationPreference.objects.get(user=member.user, kind=K.REPLY).delivery == EmailDelivery.DIGEST


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(
            lambda uid, other: unsubscribe_token(uid, K.MENTION)[:-2] + "xx", id="tampered-signature"
        ),
        pytest.param(
            lambda uid, other: unsubscribe_token(uid, K.MENTION).replace(
                signing.b64_encode(b'{"u":%d' % uid).decode()[:6], "AAAAAA"
            ),
            id="tampered-payload",
        ),
        pytest.param(
            lambda uid, other: signing.dumps({"u": other, "k": K.MENTION}, salt="wrong"), id="other-salt"
        ),
        pytest.param(
            lambda uid, other: signing.dumps({"u": other, "k": "is_staff"}, salt=UNSUBSCRIBE_SALT),
            id="bad-kind",
        ),
        pytest.param(lambda uid, other: "not-a-token", id="garbage"),
    ],
)
def test_forged_tokens_are_refused_with_a_message(make_token, member, make_user):
    other = make_user()
    url = reverse("email-unsubscribe", args=[make_token(member.user_id, other.pk)])
    for response in (Client().get(url), Client().post(url)):
        assert response.status_code == 400
        assert b"isn't valid" in response.content
    assert not NotificationPreference.objects.exists()


def test_token_for_one_person_never_touches_another(client, member, make_user):
    other = make_user()
    client.force_login(other)  # logged in as someone else: the token decides, not the session
    client.post(reverse("email-unsubscribe", args=[unsubscribe_token(member.user_id, K.REPLY)]))
    assert NotificationPreference.objects.get(user=member.user, kind=K.REPLY).delivery == EmailDelivery.NEVER
    assert not NotificationPreference.objects.filter(user=other).exists()


def test_unsubscribed_kind_sends_no_more_email(notify, mention_email, member, owner, thread):
    Client().post(_path(mention_email.extra_headers["List-Unsubscribe"].strip("<>")))
    notify(
        member.user, K.MENTION, community_id=thread.community_id, thread_id=thread.pk, actor_id=owner.user_id
    )
    notify(
        member.user, K.REPLY, community_id=thread.community_id, thread_id=thread.pk, actor_id=owner.user_id
    )
    assert len(mail.outbox) == 2  # the first mention, then the reply; not the second mention
    assert "New reply" in mail.outbox[-1].subject

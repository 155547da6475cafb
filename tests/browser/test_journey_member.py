"""Member journey in a real browser: invite link → sign up → welcome → introduce yourself →
reply with Markdown → react → see a notification when someone answers."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from communities.discussions.models import Post, Reaction
from members.models import Membership, Role, User
from members.notifications.models import Notification
from members.services import invite_create
from tests.conftest import PASSWORD as SHARED_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a very long password 9"


def test_member_journey(journey, mailoutbox, make_community, make_member, make_thread, make_user):
    community = make_community(
        name="Garden Friends", slug="garden", visibility="listed", join_policy="approval"
    )
    owner = Membership.objects.get(community=community, role=Role.OWNER)
    ines = make_member(community, user=make_user("ines", display_name="Ines"))
    make_thread(ines, title="Seed swap in spring?", body="Anyone up for swapping seeds in March?")
    make_thread(ines, title="Slugs: what actually works", body="Beer traps, copper tape, or patience?")
    other = make_thread(ines, title="Tomatoes in pots", body="Which varieties do well in pots?")
    invite = invite_create(membership=owner, max_uses=5, note="for Rosa")

    j = journey("member")
    page = j.page
    page.set_default_timeout(10_000)

    # 1. The invite link, logged out.
    page.goto(f"/invite/{invite.token}/")
    expect(page.get_by_role("heading", name="You're invited to Garden Friends")).to_be_visible()
    j.snapshot("invite landing")

    # 2. Sign up from the invite; confirm the email from the outbox.
    page.locator("main").get_by_role("link", name="Sign up").click()
    page.locator("input[name=email]").fill("rosa@example.com")
    page.locator("input[name=username]").fill("rosa")
    page.locator("input[name=password1]").fill(PASSWORD)
    page.locator("input[name=password2]").fill(PASSWORD)
    j.snapshot("sign up")
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/accounts/confirm-email/"))
    assert len(mailoutbox) == 1
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mailoutbox[0].body).group(0)
    page.goto(link)
    j.snapshot("confirm email")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(lambda url: "/accounts/confirm-email/" not in url)

    # 3. Confirming the email leads back to the invite: accept it and land in the community as a member.
    assert page.url.endswith("/invite/accept/")
    j.snapshot("accept invite")
    page.get_by_role("button", name="Accept and join Garden Friends").click()
    page.wait_for_url(re.compile(r"/c/garden/"))
    rosa = User.objects.get(handle="rosa")
    assert Membership.objects.get(user=rosa, community=community).role == Role.MEMBER
    assert j.community_nav_items() <= 5
    assert j.thread_rows_above_fold() >= 3
    j.snapshot("community home as new member")

    # 4. The welcome notification leads to the Start here page.
    assert Notification.objects.filter(recipient=rosa, kind=Notification.Kind.WELCOME).exists()
    page.get_by_role("link", name=re.compile(r"^Notifications")).click()
    page.wait_for_url(re.compile(r"/notifications/"))
    assert "Welcome to Garden Friends" in page.content()
    j.snapshot("notifications welcome")
    page.get_by_role("button", name=re.compile(r"^(Unread: )?Welcome to Garden Friends")).click()
    page.wait_for_url(re.compile(r"/c/garden/welcome/"))
    j.snapshot("start here")

    # 5. Introduce yourself in the introductions thread.
    page.locator("main").get_by_role("link", name="Introduce yourself").first.click()
    page.wait_for_url(re.compile(r"/c/garden/t/\d+"))
    page.locator("textarea[name=body]").fill("Hi, I'm Rosa. I grow herbs on a balcony.")
    page.locator("form.composer").get_by_role("button", name="Post reply").click()
    expect(page.get_by_text("I grow herbs on a balcony.")).to_be_visible()
    j.snapshot("introduced")

    # 6. Reply in another thread with Markdown: a quote, bold, a link and a mention.
    page.goto(other.get_absolute_url())
    # Selecting text in a post offers "Quote selection", which quotes it into the reply box.
    opening_body = page.locator("article.thread .post-body").first
    opening_body.evaluate(
        "el => { const r = document.createRange(); r.selectNodeContents(el.querySelector('p'));"
        " const s = window.getSelection(); s.removeAllRanges(); s.addRange(r); }"
    )
    quote = page.locator(".quote-button").first
    expect(quote).to_be_visible()
    quote.click()
    expect(page.locator("textarea[name=body]")).to_have_value(
        re.compile(r"^@ines wrote:\n> Which varieties do well in pots\?", re.M)
    )
    body = (
        "> Which varieties do well in pots?\n\n"
        f"**Cherry tomatoes** do, see [this guide](https://example.org/pots). Thanks @{ines.user.handle}!"
    )
    page.locator("textarea[name=body]").fill(body)
    page.locator("form.composer").get_by_role("button", name="Post reply").click()
    expect(page.locator("article strong", has_text="Cherry tomatoes")).to_be_visible()
    reply = Post.objects.filter(thread=other, author=rosa).get()
    article = page.locator(f"#post-{reply.pk}")
    expect(article.locator("blockquote")).to_be_visible()
    expect(article.locator("strong", has_text="Cherry tomatoes")).to_be_visible()
    expect(article.locator("a[href='https://example.org/pots']")).to_be_visible()
    expect(article.locator(f"a[href='/u/{ines.user.handle}/']")).to_be_visible()
    assert Notification.objects.filter(recipient=ines.user, actor=rosa).exists()
    j.snapshot("markdown reply")

    # 7. React to Ines's opening post: the picker opens on demand.
    opening = other.posts.order_by("id").first()
    reactions = page.locator(f"#reactions-{opening.pk}")
    expect(reactions.locator("button.reaction:visible")).to_have_count(0)  # no empty buttons
    reactions.locator("summary").click()
    reactions.locator(".picker-panel button").first.click()
    expect(page.locator(f"#reactions-{opening.pk} button[aria-pressed=true]")).to_have_count(1)
    assert Reaction.objects.filter(post=opening, user=rosa).count() == 1
    j.snapshot("reacted")

    # 8. Ines answers from her own session; Rosa's open page shows it without a reload.
    page.evaluate("window.__noReload = true")
    ines_j = journey("member-ines")
    ip = ines_j.page
    ip.set_default_timeout(10_000)
    ip.goto("/accounts/login/")
    ip.locator("input[name=login]").fill("ines")
    ip.locator("input[name=password]").fill(SHARED_PASSWORD)
    ip.locator("main form button[type=submit]").last.click()
    expect(ip.locator(".account-menu summary")).to_be_visible()
    ip.goto(other.get_absolute_url())
    ip.locator("textarea[name=body]").fill("Welcome @rosa, and thank you!")
    ip.locator("form.composer").get_by_role("button", name="Post reply").click()
    expect(ip.get_by_text("Welcome @rosa, and thank you!")).to_be_visible()
    bar = page.locator("#live-bar button")
    expect(bar).to_have_text(re.compile(r"^1 new reply"), timeout=25_000)
    j.snapshot("live new reply bar")
    bar.click()
    expect(
        page.locator("article.thread .post-body", has_text="Welcome @rosa, and thank you!")
    ).to_be_visible()
    assert page.evaluate("window.__noReload") is True  # the same document: no reload happened
    j.snapshot("live reply shown")

    # The bell and the notifications page show Ines's mention.
    page.reload()
    bell = page.get_by_role("link", name=re.compile(r"^Notifications: \d+ unread"))
    expect(bell).to_be_visible()
    bell.click()
    page.wait_for_url(re.compile(r"/notifications/"))
    expect(page.get_by_text(re.compile(r"Ines")).first).to_be_visible()
    j.snapshot("notification from ines")
    j.assert_clean()
    ines_j.assert_clean()

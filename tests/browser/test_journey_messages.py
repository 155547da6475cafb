"""Private messages in a real browser: a welcomer greets a newcomer from the newcomers page (the
owner's template prefilled); the newcomer replies and the welcomer's open page shows it live; a
third member gets 404 on the conversation and finds nothing in search; the newcomer reports a
message and a moderator warns the sender from the review queue (audit log entry)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from members.messages.models import CommunityMessaging, Conversation, MessageReport
from members.models import Membership, Role
from moderation.models import AuditLogEntry, Sanction
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, handle: str) -> None:
    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill(handle)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").last.click()
    expect(page.locator(".account-menu summary")).to_be_visible()


def test_messages_journey(journey, make_community, make_member, make_user):
    community = make_community(name="Garden Club", slug="garden", visibility="listed")
    CommunityMessaging.objects.create(
        community=community, welcome_template_md="Hi {name}, welcome to {community}! Ask me anything."
    )
    old = timezone.now() - timedelta(days=60)
    wendy = make_member(community, role=Role.WELCOMER, user=make_user("wendy", display_name="Wendy"))
    theo = make_member(community, user=make_user("theo", display_name="Theo"))
    mo = make_member(community, role=Role.MODERATOR, user=make_user("mo", display_name="Mo"))
    Membership.objects.filter(pk__in=[wendy.pk, theo.pk, mo.pk]).update(joined_at=old)
    make_member(community, user=make_user("nina", display_name="Nina"))  # joined just now

    # --- The welcomer greets the newcomer from the newcomers page ---------------------------------
    w = journey("messages-welcomer")
    wp = w.page
    wp.set_default_timeout(10_000)
    log_in(wp, "wendy")
    wp.goto("/c/garden/newcomers/")
    row = wp.get_by_role("row", name="Nina")
    w.snapshot("newcomers page")
    row.get_by_role("link", name="Send welcome message to Nina").click()
    body = wp.get_by_role("textbox", name="Message")
    expect(body).to_have_value("Hi Nina, welcome to Garden Club! Ask me anything.")
    expect(wp.get_by_text("not end-to-end encrypted")).to_be_visible()
    w.snapshot("new message prefilled")
    body.fill("Hi Nina, welcome to Garden Club! Ask me **anything** about tomatoes.")
    wp.get_by_role("button", name="Send").click()
    expect(wp.locator(".pm-message strong", has_text="anything")).to_be_visible()
    conv = Conversation.objects.get()
    assert wp.url.endswith(conv.get_absolute_url())
    # Sending the welcome counts as greeting on the newcomers page.
    assert Membership.objects.get(user__handle="nina").onboarding.greeted_by_id == wendy.user_id
    wp.get_by_role("textbox", name="Your message").fill(
        "Also: zucchiniwhisper seeds, cheap, at spam.example!"
    )
    wp.get_by_role("button", name="Send").click()
    expect(wp.get_by_text("zucchiniwhisper seeds")).to_be_visible()
    w.snapshot("conversation as welcomer")

    # --- The newcomer sees the unread count, reads and replies -------------------------------------
    n = journey("messages-newcomer")
    np = n.page
    np.set_default_timeout(10_000)
    log_in(np, "nina")
    expect(np.get_by_role("link", name="Messages: 1 unread")).to_be_visible()
    np.get_by_role("link", name="Messages: 1 unread").click()
    expect(np.get_by_role("heading", name="Messages")).to_be_visible()
    n.snapshot("inbox with unread")
    np.get_by_role("link", name="Wendy").click()
    expect(np.get_by_text("about tomatoes")).to_be_visible()
    np.get_by_role("textbox", name="Your message").fill("Thank you Wendy! Happy to be here.")
    np.get_by_role("button", name="Send").click()
    expect(np.get_by_text("Happy to be here")).to_be_visible()
    expect(np.get_by_role("link", name="Messages", exact=True)).to_be_visible()  # nothing unread
    n.snapshot("conversation as newcomer")

    # The welcomer's open page shows the reply without a reload (the live update poll).
    expect(wp.get_by_text("Happy to be here")).to_be_visible(timeout=20_000)

    # --- A third member: 404 on the conversation, nothing in search ---------------------------------
    t = journey("messages-third-member")
    tp = t.page
    tp.set_default_timeout(10_000)
    log_in(tp, "theo")
    response = tp.goto(conv.get_absolute_url())
    assert response is not None and response.status == 404
    tp.goto("/search/?q=zucchiniwhisper")
    expect(tp.locator("main")).not_to_contain_text("zucchiniwhisper seeds")
    tp.goto("/c/garden/search/?q=zucchiniwhisper")
    expect(tp.locator("main")).not_to_contain_text("zucchiniwhisper seeds")
    t.snapshot("search finds no messages")

    # --- The newcomer reports the spammy message, including the greeting ---------------------------
    np.locator(".pm-message", has_text="zucchiniwhisper").get_by_role("link", name="Report").click()
    expect(np.get_by_role("heading", name="Report a message")).to_be_visible()
    np.get_by_label("Spam").check()
    np.locator(".pm-include-row", has_text="about tomatoes").locator("input").check()
    np.get_by_label("Anything the moderators should know (optional)").fill("Selling seeds to newcomers.")
    n.snapshot("report form")
    np.get_by_role("button", name="Send report").click()
    expect(np.get_by_text("the moderators will look at it")).to_be_visible()
    report = MessageReport.objects.get()
    assert report.reported_user_id == wendy.user_id and report.items.count() == 2

    # --- A moderator acts from the review queue ---------------------------------------------------------
    m = journey("messages-moderator")
    mp = m.page
    mp.set_default_timeout(10_000)
    log_in(mp, "mo")
    mp.goto("/c/garden/mod/")
    item = mp.locator("li.queue-message")
    expect(item.get_by_text("zucchiniwhisper seeds")).to_be_visible(timeout=15_000)
    expect(item.get_by_text("about tomatoes")).to_be_visible()
    expect(item).not_to_contain_text("Happy to be here")  # never the whole conversation
    m.snapshot("review queue with a reported message")
    item.get_by_placeholder("Reason (the sender sees it)").fill("No selling in private messages, please.")
    item.get_by_role("button", name="Warn sender").click()
    expect(mp.get_by_text("The sender was warned.")).to_be_visible()
    report.refresh_from_db()
    assert report.resolution == "warn"
    assert Sanction.objects.filter(user=wendy.user, kind="warn").exists()
    assert AuditLogEntry.objects.filter(action="msg_report_resolved", target_user=wendy.user).exists()
    m.snapshot("queue after warning")

    for j in (w, n, t, m):
        j.assert_clean()


def test_moderator_note_and_settings_pages(journey, make_community, make_member, make_user):
    """A moderator writes a note from the member's moderation page; the member sees it as from the
    moderators and answers; another moderator finds the answer in the shared staff inbox. The
    member blocks someone from a conversation and finds them under settings; the owner switches
    member messages off."""
    from members.messages import services

    community = make_community(name="Book Nook", slug="books", visibility="secret")
    old = timezone.now() - timedelta(days=60)
    owner = Membership.objects.get(community=community, role=Role.OWNER)
    ada = make_member(community, role=Role.MODERATOR, user=make_user("ada", display_name="Ada"))
    bea = make_member(community, role=Role.MODERATOR, user=make_user("bea", display_name="Bea"))
    sam = make_member(community, user=make_user("sam", display_name="Sam"))
    pip = make_member(community, user=make_user("pip", display_name="Pip"))
    Membership.objects.filter(pk__in=[ada.pk, bea.pk, sam.pk, pip.pk, owner.pk]).update(joined_at=old)
    services.conversation_start(
        sender=pip.user, recipients=[sam.user, ada.user], community=community, body_md="Group: reading list?"
    )

    a = journey("messages-moderator-note")
    ap = a.page
    ap.set_default_timeout(10_000)
    log_in(ap, "ada")
    ap.goto("/c/books/mod/members/sam/")
    ap.get_by_role("link", name="Send a moderator note").click()
    ap.get_by_role("textbox", name="Note").fill("Hi Sam, please keep spoilers in the spoiler space.")
    a.snapshot("moderator note form")
    ap.get_by_role("button", name="Send note").click()
    expect(ap.get_by_text("keep spoilers")).to_be_visible()

    s = journey("messages-member-note")
    sp = s.page
    sp.set_default_timeout(10_000)
    log_in(sp, "sam")
    sp.goto("/messages/")
    sp.get_by_role("link", name="Moderators of Book Nook").click()
    expect(sp.get_by_role("heading", name="Note from the moderators of Book Nook")).to_be_visible()
    expect(sp.locator("main")).not_to_contain_text("@ada")
    sp.get_by_role("textbox", name="Your message").fill("Sorry, will do!")
    sp.get_by_role("button", name="Send").click()
    expect(sp.get_by_text("Sorry, will do!")).to_be_visible()
    s.snapshot("member reads a moderator note")
    sp.goto("/messages/")
    sp.get_by_role("link", name="Pip, Ada").click()
    expect(sp.get_by_text("Group: reading list?")).to_be_visible()
    s.snapshot("group conversation")
    sp.goto("/messages/settings/")
    sp.get_by_label("Nobody (moderators can still send moderator notes)").check()
    sp.get_by_role("button", name="Save").click()
    expect(sp.get_by_text("Messaging settings saved.")).to_be_visible()
    s.snapshot("messaging settings")

    b = journey("messages-staff-inbox")
    bp = b.page
    bp.set_default_timeout(10_000)
    log_in(bp, "bea")
    bp.goto("/c/books/mod/messages/")
    bp.get_by_role("link", name="Sam").click()
    expect(bp.get_by_text("Sorry, will do!")).to_be_visible()
    expect(bp.get_by_text("keep spoilers")).to_be_visible()
    b.snapshot("staff conversation")

    o = journey("messages-owner-settings")
    op = o.page
    op.set_default_timeout(10_000)
    log_in(op, owner.user.handle)
    op.goto("/c/books/settings/messages/")
    op.get_by_label("Members may message each other").uncheck()
    op.get_by_role("button", name="Save messaging settings").click()
    expect(op.get_by_text("Messaging settings saved.")).to_be_visible()
    o.snapshot("owner messaging settings")
    assert CommunityMessaging.objects.get(community=community).members_may_message is False

    for j in (a, s, b, o):
        j.assert_clean()

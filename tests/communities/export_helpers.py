"""A community with a bit of everything, for export/import tests."""

from __future__ import annotations

import io
import json
import secrets
import zipfile
from datetime import time, timedelta

from django.utils import timezone

from communities.discussions.models import Post, PostEvent, PostEventKind, PostRevision, Reaction
from communities.discussions.services import post_create, thread_create
from communities.models import Community, Space
from communities.services import community_create
from members.models import Invite, InviteRedemption, JoinRequest, Membership, Role, User
from members.services import membership_join, membership_leave, membership_set_role
from moderation.models import AuditAction, AuditLogEntry, Flag, Sanction, WordFilter


def _user(handle: str) -> User:
    from allauth.account.models import EmailAddress

    # No password (hashing is slow); tests log in with force_login.
    user = User.objects.create_user(handle=handle, email=f"{handle}@example.com")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def seed_rich_community(slug: str = "rich", *, extra_posts: int = 0) -> Community:
    """Owner, moderator, members (one joined by invite, one left), spaces, threads, replies with
    edits, reactions, a removed post, a held post, flags, a sanction, audit log, a join request
    and a bot's post, spread over 60 days."""
    t0 = timezone.now() - timedelta(days=60)
    owner = _user(f"{slug}_owner")
    community = community_create(
        owner=owner,
        name=f"{slug.title()} Circle",
        slug=slug,
        purpose="Talk about rich things.",
        guidelines_md="Be **kind**. <script>alert(1)</script>",
        screening_questions=["Why join?"],
        time_zone="Europe/Berlin",
        created_at=t0,
    )
    Membership.objects.filter(community=community).update(joined_at=t0, first_joined_at=t0)
    from members.models import MembershipEvent

    MembershipEvent.objects.filter(community=community).update(at=t0)
    general = Space.objects.get(community=community, slug="general")
    vip = Space.objects.create(
        community=community, name="VIP", slug="vip", min_role=Role.MODERATOR, position=1, created_at=t0
    )
    mod = membership_join(user=_user(f"{slug}_mod"), community=community, at=t0 + timedelta(days=1))
    membership_set_role(membership=mod, role=Role.MODERATOR, actor=owner, at=t0 + timedelta(days=1, hours=1))
    invite = Invite.objects.create(
        community=community,
        created_by=owner,
        created_by_staff=True,
        token=secrets.token_urlsafe(32),
        note="for alice",
        created_at=t0 + timedelta(days=2),
        uses=1,
    )
    alice_user = _user(f"{slug}_alice")
    alice = membership_join(user=alice_user, community=community, invite=invite, at=t0 + timedelta(days=3))
    InviteRedemption.objects.create(invite=invite, user=alice_user, at=t0 + timedelta(days=3))
    Invite.objects.create(
        community=community,
        created_by=alice_user,
        token=secrets.token_urlsafe(32),
        created_at=t0 + timedelta(days=4),
        revoked_at=t0 + timedelta(days=5),
    )
    # Alice allowed her email in exports (privacy setting); nobody else did.
    from members.profiles.models import Profile

    Profile.objects.filter(user=alice_user).update(share_email_in_exports=True)
    bob = membership_join(user=_user(f"{slug}_bob"), community=community, at=t0 + timedelta(days=4))
    carol = membership_join(user=_user(f"{slug}_carol"), community=community, at=t0 + timedelta(days=5))
    membership_leave(membership=carol, at=t0 + timedelta(days=20))

    owner_m = Membership.objects.get(community=community, user=owner)
    t1 = thread_create(
        author=alice,
        space=general,
        title="Hello there",
        body_md="Hi @" + owner.handle,
        at=t0 + timedelta(days=6),
    )
    opening = t1.posts.get()
    r1 = post_create(author=bob, thread=t1, body_md="Welcome!", at=t0 + timedelta(days=6, hours=2))
    r2 = post_create(
        author=owner_m, thread=t1, body_md="> Welcome!\n\nIndeed", reply_to=r1, at=t0 + timedelta(days=7)
    )
    PostRevision.objects.create(
        post=r1, body_md="Welcom", created_at=t0 + timedelta(days=6, hours=3), editor=bob.user
    )
    Post.objects.filter(pk=r1.pk).update(edited_at=t0 + timedelta(days=6, hours=3))
    t2 = thread_create(
        author=bob, space=general, title="Spam?", body_md="buy things", at=t0 + timedelta(days=8)
    )
    spam = t2.posts.get()
    Post.objects.filter(pk=spam.pk).update(removed_at=t0 + timedelta(days=9), removed_by_moderator=True)
    Thread = t2.__class__
    Thread.objects.filter(pk=t2.pk).update(removed_at=t0 + timedelta(days=9))
    PostEvent.objects.create(
        post=spam, kind=PostEventKind.REMOVED, at=t0 + timedelta(days=9), actor=mod.user, by_moderator=True
    )
    Flag.objects.create(
        community=community,
        post=spam,
        flagger=alice_user,
        reason="spam",
        note="obvious",
        created_at=t0 + timedelta(days=8, hours=1),
        resolved_at=t0 + timedelta(days=9),
        resolved_by=mod.user,
        resolution="hidden",
    )
    AuditLogEntry.objects.create(
        community=community,
        actor=mod.user,
        action=AuditAction.POST_HIDDEN,
        target_user=bob.user,
        target_post=spam,
        target_thread=t2,
        reason="spam",
        data={"flags": 1},
        created_at=t0 + timedelta(days=9),
    )
    Sanction.objects.create(
        community=community,
        user=bob.user,
        kind="warn",
        reason="no spam",
        created_at=t0 + timedelta(days=9),
        created_by=mod.user,
    )
    WordFilter.objects.create(community=community, phrase="buy now", created_at=t0)
    t3 = thread_create(
        author=mod, space=vip, title="Staff room", body_md="`code` and *em*", at=t0 + timedelta(days=10)
    )
    held = post_create(author=alice, thread=t3, body_md="held one", at=t0 + timedelta(days=11))
    Post.objects.filter(pk=held.pk).update(status="held", published_at=None)
    Reaction.objects.create(
        post=opening, user=bob.user, kind="heart", created_at=t0 + timedelta(days=6, hours=1)
    )
    Reaction.objects.create(post=opening, user=owner, kind="tada", created_at=t0 + timedelta(days=6, hours=4))
    Reaction.objects.create(
        post=r2, user=alice_user, kind="thumbs_up", created_at=t0 + timedelta(days=7, hours=1)
    )
    bot = User.objects.create_user(handle=f"{slug}_bot", is_bot=True)
    wins = thread_create(
        author=bot,
        space=general,
        title="Weekly wins",
        body_md="Share a win",
        kind="ritual",
        at=t0 + timedelta(days=14),
    )
    from communities.rituals.models import Ritual, RitualOccurrence

    ritual = Ritual.objects.create(
        community=community,
        kind="wins",
        space=general,
        title_template="Weekly wins — {date}",
        body_template="What went well this week?",
        local_time=time(9, 0),
        starts_on=(t0 + timedelta(days=13)).date(),
        created_by=owner,
        created_at=t0 + timedelta(days=13),
        next_run_at=timezone.now() + timedelta(days=3),
    )
    RitualOccurrence.objects.create(
        ritual=ritual, occurrence=t0 + timedelta(days=14), thread=wins, created_at=t0 + timedelta(days=14)
    )
    # An AMA made from the ritual, with its thread, answers, a question (a reply) and a vote.
    from communities.events.models import AmaQuestion, AmaVote, Event, Rsvp

    ama_thread = thread_create(
        author=bob,
        space=general,
        title="AMA with Bob",
        body_md="Ask *me*",
        kind="event",
        at=t0 + timedelta(days=14),
    )
    ama = Event.objects.create(
        community=community,
        thread=ama_thread,
        kind="ama",
        starts_at=t0 + timedelta(days=20),
        ends_at=t0 + timedelta(days=20, hours=1),
        time_zone="Europe/Berlin",
        online_url="https://meet.example.org/ama",
        capacity=2,
        host=bob.user,
        created_by=bob.user,
        ritual=ritual,
        created_at=t0 + timedelta(days=14),
        updated_at=t0 + timedelta(days=14),
    )
    Rsvp.objects.create(event=ama, user=alice_user, status="going", created_at=t0 + timedelta(days=15))
    Rsvp.objects.create(
        event=ama,
        user=owner,
        status="waitlisted",
        waitlisted_at=t0 + timedelta(days=15),
        created_at=t0 + timedelta(days=15),
    )
    asked = post_create(author=bob, thread=ama_thread, body_md="First question?", at=t0 + timedelta(days=15))
    question = AmaQuestion.objects.create(
        event=ama, post=asked, author=bob.user, created_at=t0 + timedelta(days=15)
    )
    AmaVote.objects.create(question=question, user=alice_user, created_at=t0 + timedelta(days=15, hours=1))
    JoinRequest.objects.create(
        community=community,
        user=_user(f"{slug}_dave"),
        answers=[{"question": "Why join?", "answer": "fun"}],
        created_at=t0 + timedelta(days=15),
    )
    # Tags, a named and an anonymous poll with ballots, and a highlight.
    from communities.highlights.services import post_feature
    from communities.polls.services import poll_create, poll_vote
    from communities.tags.services import tag_create, thread_set_tags

    owner_m = Membership.objects.get(community=community, user=owner)
    welcome_tag = tag_create(community=community, actor=owner_m, name="Welcome", description="Say hi")
    tag_create(community=community, actor=owner_m, name="Unused")
    thread_set_tags(actor=owner_m, thread=t1, tag_ids=[welcome_tag.pk])
    named = poll_create(
        author=alice,
        thread=t1,
        question="Which day suits you?",
        choices=["Monday", "Tuesday", "Wednesday"],
        multiple=True,
        at=t0 + timedelta(days=6, hours=5),
    )
    secret = poll_create(
        author=alice,
        thread=t1,
        question="Honest rating?",
        choices=["1", "2", "3"],
        anonymous=True,
        results="on_close",
        closes_at=t0 + timedelta(days=20),
        at=t0 + timedelta(days=6, hours=5),
    )
    days = list(named.choices.order_by("position"))
    marks = list(secret.choices.order_by("position"))
    poll_vote(
        voter=owner_m, poll=named, choice_ids=[days[0].pk, days[1].pk], at=t0 + timedelta(days=6, hours=6)
    )
    poll_vote(voter=alice, poll=named, choice_ids=[days[1].pk], at=t0 + timedelta(days=6, hours=7))
    poll_vote(voter=mod, poll=named, choice_ids=[days[2].pk], at=t0 + timedelta(days=6, hours=8))
    poll_vote(voter=owner_m, poll=secret, choice_ids=[marks[2].pk], at=t0 + timedelta(days=6, hours=6))
    poll_vote(voter=alice, poll=secret, choice_ids=[marks[0].pk], at=t0 + timedelta(days=6, hours=7))
    post_feature(actor=mod, post=r1, note="A warm welcome", at=t0 + timedelta(days=6, hours=9))
    for i in range(extra_posts):
        post_create(author=bob, thread=t1, body_md=f"Reply number {i}", at=t0 + timedelta(days=16, minutes=i))
    return community


def archive_bytes(community: Community) -> bytes:
    from communities.portability.writer import write_archive

    buf = io.BytesIO()
    write_archive(community, buf)
    return buf.getvalue()


def read_docs(data: bytes) -> dict[str, object]:
    docs: dict[str, object] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for name in zf.namelist():
            text = zf.read(name).decode()
            if name.endswith(".jsonl"):
                docs[name] = [json.loads(line) for line in text.splitlines() if line.strip()]
            else:
                docs[name] = json.loads(text)
    return docs


def replace_entry(data: bytes, name: str, content: bytes) -> bytes:
    """The same archive with one entry's content replaced (or added)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename != name:
                dst.writestr(info.filename, src.read(info.filename))
        dst.writestr(name, content)
    return out.getvalue()

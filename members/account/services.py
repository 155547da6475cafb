"""A member's own data: the download of everything of theirs, account deletion, account claims.

Account deletion keeps the communities' history whole: the person's posts stay, shown as
"Deleted member" (or, if they choose, are removed the way a moderator removes a post, with a
PostEvent at the deletion time), and every active membership ends with ``membership_leave``
(a LEFT event), so the metrics of past days do not change (docs/metrics.md: "Deleted accounts:
treated as leaving at deletion; posts count while not removed").
"""

from __future__ import annotations

import json
import secrets
import zipfile
from collections.abc import Iterable
from datetime import date, datetime
from typing import IO, Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import models, transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from communities.discussions.models import (
    Post,
    PostEvent,
    PostEventKind,
    PostRevision,
    PostStatus,
    Reaction,
    RemovedReaction,
    Thread,
    ThreadReadState,
    ThreadSubscription,
)
from communities.events.models import AmaVote, Rsvp
from communities.polls.selectors import person_ballots
from members import access
from members.messages.selectors import messages_for_download
from members.models import (
    AccountClaim,
    Invite,
    JoinRequest,
    JoinRequestStatus,
    Membership,
    MembershipEvent,
    MembershipStatus,
    Role,
    User,
)
from members.notifications.models import Notification
from members.profiles.privacy import personal_models
from members.services import MembershipError, membership_leave
from moderation.models import Flag

CHUNK = 1000
DELETED_NAME = "Deleted member"


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, FieldFile):
        return value.name or ""
    return value


def _jsonl(zf: zipfile.ZipFile, name: str, rows: Iterable[dict]) -> int:
    n = 0
    with zf.open(name, "w", force_zip64=True) as out:
        for row in rows:
            out.write(json.dumps({k: _plain(v) for k, v in row.items()}, ensure_ascii=False).encode() + b"\n")
            n += 1
    return n


def _notification_readable(user_id: int, n: Notification, memberships: dict) -> bool:
    if n.thread_id is not None:
        return access.can_still_read_thread(user_id, n.thread, memberships)
    if n.community_id is not None and n.community_id not in memberships:
        return n.community.visibility == "public"
    return True


def _model_row(obj: models.Model) -> dict:
    row = {}
    for f in obj._meta.concrete_fields:
        if f.name == "user":
            continue
        row[f.name] = _plain(getattr(obj, f.attname))
    return row


def personal_data_write(user: User, fileobj: IO[bytes]) -> dict[str, int]:
    """Write a zip of everything of ``user``'s into ``fileobj``: profile and settings,
    memberships with their history, posts (Markdown source, edits), reactions (and those taken
    back, which are kept for the metrics), flags they made,
    invites they created, join requests, event RSVPs and AMA votes, notifications and thread
    follows."""

    counts: dict[str, int] = {}
    with zipfile.ZipFile(fileobj, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        profile = {
            "handle": user.handle,
            "display_name": user.display_name,
            "email": user.email,
            "date_joined": _plain(user.date_joined),
            "last_login": _plain(user.last_login),
            "time_zone": user.time_zone,
            "email_addresses": [
                {"email": a.email, "verified": a.verified, "primary": a.primary}
                for a in EmailAddress.objects.filter(user=user)
            ],
            "settings": {
                model._meta.model_name: [_model_row(o) for o in model._default_manager.filter(user=user)]
                for model in personal_models()
            },
        }
        zf.writestr("profile.json", json.dumps(profile, ensure_ascii=False, indent=1))

        memberships = Membership.objects.filter(user=user).select_related("community", "invited_by")
        events = MembershipEvent.objects.filter(user=user).select_related("community").order_by("at", "pk")
        counts["memberships"] = _jsonl(
            zf,
            "memberships.jsonl",
            (
                {
                    "community": m.community.name,
                    "community_slug": m.community.slug,
                    "role": m.role,
                    "status": m.status,
                    "first_joined_at": m.first_joined_at,
                    "joined_at": m.joined_at,
                    "left_at": m.left_at,
                    "invited_by": m.invited_by.handle if m.invited_by else None,
                }
                for m in memberships.iterator(chunk_size=CHUNK)
            ),
        )
        counts["membership_events"] = _jsonl(
            zf,
            "membership_events.jsonl",
            (
                {
                    "community_slug": e.community.slug,
                    "kind": e.kind,
                    "role": e.role,
                    "at": e.at,
                    "reason": e.reason,
                }
                for e in events.iterator(chunk_size=CHUNK)
            ),
        )
        # Their own words are theirs to keep; the titles of other people's threads only while
        # they may still read them (a banned or former member of a private community may not).
        readable = access.active_memberships_by_community(user.pk)
        posts = (
            Post.objects.filter(author=user)
            .select_related("thread", "thread__space", "thread__community", "community")
            .prefetch_related(
                models.Prefetch("revisions", queryset=PostRevision.objects.order_by("created_at"))
            )
            .order_by("created_at", "pk")
        )
        counts["posts"] = _jsonl(
            zf,
            "posts.jsonl",
            (
                {
                    "id": p.pk,
                    "community_slug": p.community.slug,
                    "thread_id": p.thread_id,
                    "thread_title": (
                        p.thread.title if access.can_still_read_thread(user.pk, p.thread, readable) else None
                    ),
                    "is_opening": p.is_opening,
                    "body_md": p.body_md,
                    "created_at": p.created_at,
                    "edited_at": p.edited_at,
                    "status": p.status,
                    "removed_at": p.removed_at,
                    "revisions": [
                        {"body_md": r.body_md, "title": r.title, "created_at": _plain(r.created_at)}
                        for r in p.revisions.all()
                    ],
                }
                for p in posts.iterator(chunk_size=CHUNK)
            ),
        )
        counts["reactions"] = _jsonl(
            zf,
            "reactions.jsonl",
            (
                {
                    "post_id": r.post_id,
                    "community_slug": r.post.community.slug,
                    "kind": r.kind,
                    "at": r.created_at,
                }
                for r in Reaction.objects.filter(user=user)
                .select_related("post__community")
                .order_by("created_at")
                .iterator(chunk_size=CHUNK)
            ),
        )
        counts["reactions_taken_back"] = _jsonl(
            zf,
            "reactions_taken_back.jsonl",
            (
                {
                    "post_id": r.post_id,
                    "community_slug": r.post.community.slug,
                    "kind": r.kind,
                    "at": r.created_at,
                    "taken_back_at": r.removed_at,
                }
                for r in RemovedReaction.objects.filter(user=user)
                .select_related("post__community")
                .order_by("created_at")
                .iterator(chunk_size=CHUNK)
            ),
        )
        counts["flags"] = _jsonl(
            zf,
            "flags.jsonl",
            (
                {
                    "post_id": f.post_id,
                    "community_slug": f.community.slug,
                    "reason": f.reason,
                    "note": f.note,
                    "created_at": f.created_at,
                    "resolution": f.resolution,
                }
                for f in Flag.objects.filter(flagger=user)
                .select_related("community")
                .iterator(chunk_size=CHUNK)
            ),
        )
        counts["invites"] = _jsonl(
            zf,
            "invites_created.jsonl",
            (
                {
                    "community_slug": i.community.slug,
                    "note": i.note,
                    "created_at": i.created_at,
                    "expires_at": i.expires_at,
                    "max_uses": i.max_uses,
                    "uses": i.uses,
                    "revoked_at": i.revoked_at,
                }
                for i in Invite.objects.filter(created_by=user)
                .select_related("community")
                .iterator(chunk_size=CHUNK)
            ),
        )
        counts["join_requests"] = _jsonl(
            zf,
            "join_requests.jsonl",
            (
                {
                    "community_slug": j.community.slug,
                    "answers": j.answers,
                    "status": j.status,
                    "created_at": j.created_at,
                    "decided_at": j.decided_at,
                    "reason": j.reason,
                }
                for j in JoinRequest.objects.filter(user=user)
                .select_related("community")
                .iterator(chunk_size=CHUNK)
            ),
        )
        counts["rsvps"] = _jsonl(
            zf,
            "rsvps.jsonl",
            (
                {
                    "community_slug": r.event.community.slug,
                    "event_id": r.event_id,
                    "event_title": r.event.thread.title,
                    "starts_at": r.event.starts_at,
                    "status": r.status,
                    "waitlisted_at": r.waitlisted_at,
                    "created_at": r.created_at,
                    "updated_at": r.updated_at,
                }
                for r in Rsvp.objects.filter(user=user)
                .select_related("event__community", "event__thread")
                .order_by("pk")
                .iterator(chunk_size=CHUNK)
            ),
        )
        counts["ama_votes"] = _jsonl(
            zf,
            "ama_votes.jsonl",
            (
                {
                    "community_slug": v.question.event.community.slug,
                    "event_id": v.question.event_id,
                    "question_post_id": v.question.post_id,
                    "created_at": v.created_at,
                }
                for v in AmaVote.objects.filter(user=user)
                .select_related("question__event__community")
                .order_by("pk")
                .iterator(chunk_size=CHUNK)
            ),
        )
        counts["notifications"] = _jsonl(
            zf,
            "notifications.jsonl",
            (
                {
                    "kind": n.kind,
                    # Texts quote thread titles and names: only where they may still read.
                    "text": n.text if _notification_readable(user.pk, n, readable) else "",
                    "url": n.url if _notification_readable(user.pk, n, readable) else "",
                    "created_at": n.created_at,
                    "read_at": n.read_at,
                }
                for n in Notification.objects.filter(recipient=user)
                .select_related("thread__space", "thread__community", "community")
                .iterator(chunk_size=CHUNK)
            ),
        )
        counts["messages"] = _jsonl(zf, "messages.jsonl", messages_for_download(user, chunk=CHUNK))
        counts["thread_subscriptions"] = _jsonl(
            zf,
            "thread_subscriptions.jsonl",
            (
                {"thread_id": s.thread_id, "level": s.level, "created_at": s.created_at}
                for s in ThreadSubscription.objects.filter(user=user).iterator(chunk_size=CHUNK)
            ),
        )
        # Their own ballots (anonymous polls included: it is their own vote; see docs/polls.md).
        counts["poll_votes"] = _jsonl(zf, "poll_votes.jsonl", person_ballots(user.pk))
        zf.writestr(
            "README.txt",
            f"Your data from {settings.SITE_NAME} ({settings.SITE_URL}), exported "
            f"{timezone.now():%Y-%m-%d %H:%M} UTC.\n\nOne JSON document per file; *.jsonl files have "
            "one JSON object per line. Posts keep their Markdown source and edit history.\n"
            "poll_votes.jsonl holds your own votes, anonymous polls included: nobody else, moderators "
            "included, can see how you voted in an anonymous poll.\n",
        )
    return counts


def owned_communities_blocking_deletion(user: User) -> list[str]:
    """Names of communities where the user is the only owner (they must hand over first)."""
    other_owners = Membership.objects.filter(
        community_id=OuterRef("community_id"), role=Role.OWNER, status=MembershipStatus.ACTIVE
    ).exclude(user=user)
    return list(
        Membership.objects.filter(user=user, role=Role.OWNER, status=MembershipStatus.ACTIVE)
        .annotate(
            others=Subquery(other_owners.values("community_id").annotate(n=Count("pk")).values("n")[:1])
        )
        .filter(Q(others__isnull=True) | Q(others=0))
        .values_list("community__name", flat=True)
    )


@transaction.atomic
def account_delete(*, user: User, remove_posts: bool = False, at: datetime | None = None) -> User:
    """Delete ``user``'s account: end every membership (LEFT events), keep or remove their posts,
    erase their personal data and anonymise the account row (kept so threads stay whole).

    Raises MembershipError (changing nothing) if they are the only owner of a community.
    """

    now = at or timezone.now()
    user = User.objects.select_for_update().get(pk=user.pk)
    blocking = owned_communities_blocking_deletion(user)
    if blocking:
        raise MembershipError(
            "Hand over ownership first: you are the only owner of " + ", ".join(blocking) + "."
        )
    for membership in Membership.objects.filter(user=user, status=MembershipStatus.ACTIVE):
        membership_leave(membership=membership, at=now)

    if remove_posts:
        _remove_posts(user, now)

    # Live invite links of a deleted account stop working; the referral history stays.
    Invite.objects.filter(created_by=user, revoked_at__isnull=True).update(revoked_at=now)
    JoinRequest.objects.filter(user=user, status=JoinRequestStatus.PENDING).update(
        status=JoinRequestStatus.WITHDRAWN, decided_at=now
    )
    JoinRequest.objects.filter(user=user).update(answers=[])
    Notification.objects.filter(recipient=user).delete()
    ThreadReadState.objects.filter(user=user).delete()
    ThreadSubscription.objects.filter(user=user).delete()
    EmailAddress.objects.filter(user=user).delete()
    AccountClaim.objects.filter(user=user).delete()
    for model in personal_models():
        file_fields = [f for f in model._meta.concrete_fields if isinstance(f, models.FileField)]
        for obj in model._default_manager.filter(user=user):
            for f in file_fields:
                stored = getattr(obj, f.attname)
                if stored:
                    # Files (an avatar) go too; after commit, so a rollback keeps them.
                    transaction.on_commit(lambda s=stored.storage, n=stored.name: s.delete(n))
        model._default_manager.filter(user=user).delete()

    user.handle = f"deleted_{secrets.token_hex(6)}"
    user.display_name = DELETED_NAME
    user.email = ""
    user.set_unusable_password()
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    user.time_zone = "UTC"
    user.last_login = None
    user.save()
    user.groups.clear()
    user.user_permissions.clear()
    return user


def _remove_posts(user: User, now: datetime) -> None:
    """Remove the user's posts as a moderator removal would (PostEvent at ``now``), erase their
    text, and remove the threads they opened (a removed opening post removes its thread)."""
    live = Post.objects.filter(author=user, removed_at__isnull=True)
    post_ids = list(live.values_list("pk", flat=True))
    for start in range(0, len(post_ids), CHUNK):
        PostEvent.objects.bulk_create(
            [
                PostEvent(post_id=pk, kind=PostEventKind.REMOVED, at=now, actor=None, by_moderator=False)
                for pk in post_ids[start : start + CHUNK]
            ]
        )
    thread_ids = set(Post.objects.filter(author=user).values_list("thread_id", flat=True).distinct())
    Post.objects.filter(author=user, removed_at__isnull=True).update(
        removed_at=now, removed_by_moderator=False
    )
    Post.objects.filter(author=user).update(body_md="", body_html="")
    PostRevision.objects.filter(post__author=user).delete()
    opened = Thread.objects.filter(posts__author=user, posts__is_opening=True)
    Thread.objects.filter(pk__in=opened.values("pk"), removed_at__isnull=True).update(removed_at=now)
    # Reply counts count published, live replies.
    replies = (
        Post.objects.filter(
            thread_id=OuterRef("pk"), is_opening=False, status=PostStatus.PUBLISHED, removed_at__isnull=True
        )
        .order_by()
        .values("thread_id")
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    Thread.objects.filter(pk__in=thread_ids).update(
        reply_count=models.functions.Coalesce(Subquery(replies, output_field=models.IntegerField()), 0)
    )


def claim_for_token(token: str) -> AccountClaim | None:
    """An unclaimed claim link for an active placeholder account, or None."""
    if not token or len(token) > 64:
        return None
    return (
        AccountClaim.objects.select_related("user", "community")
        .filter(token=token, claimed_at__isnull=True, user__is_active=True)
        .first()
    )


@transaction.atomic
def account_claim(*, claim: AccountClaim, email: str, password: str, request: object = None) -> User:
    """Turn a placeholder account into the claimant's: set email and password, use up the link,
    and send the usual email confirmation."""

    claimed = AccountClaim.objects.filter(pk=claim.pk, claimed_at__isnull=True).update(
        claimed_at=timezone.now()
    )
    if claimed != 1:
        raise MembershipError("This link has already been used.")
    user = User.objects.select_for_update().get(pk=claim.user_id)
    user.email = email
    user.set_password(password)
    user.save(update_fields=["email", "password"])
    address = EmailAddress.objects.create(user=user, email=email, verified=False, primary=True)
    transaction.on_commit(lambda: address.send_confirmation(request))
    return user

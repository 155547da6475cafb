"""Access for integrations: webhooks (owners only), what a webhook payload may carry, and feeds.

* Webhook pages are the owner's (members 403; non-members as the community's visibility says).
  A webhook or delivery id of another community is 404.
* A payload carries only what an ordinary member of the community may see: nothing from a
  restricted space (whatever role the space needs), nothing held or removed.
* Feeds: a public community's feed is anyone's (restricted spaces left out); any other
  community's content comes only through a member's personal feed token, which shows what that
  member may see now. A revoked token, a token of someone who left or was banned, and a token
  that never existed all answer 404.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404

from communities.discussions.models import Post, PostStatus
from communities.integrations.models import FeedToken, Webhook, WebhookDelivery, feed_token_digest
from communities.models import Community, Space, Visibility
from members.access.content import require_login
from members.access.core import (
    CommunityAccess,
    active_membership,
    can_see_space,
    community_for_owner,
    post_visible_to,
)
from members.models import Membership, MembershipStatus, Role


def community_for_webhooks(user: object, slug: str) -> CommunityAccess:
    """The webhooks pages: the community's owners."""
    return community_for_owner(user, slug)


def webhook_for_owner(user: object, slug: str, webhook_id: int) -> tuple[Webhook, CommunityAccess]:
    """A webhook of this community, for its owners; another community's id is 404."""
    access = community_for_webhooks(user, slug)
    webhook = Webhook.objects.filter(pk=webhook_id, community_id=access.community.pk).first()
    if webhook is None:
        raise Http404
    webhook.community = access.community
    return webhook, access


def delivery_for_owner(
    user: object, slug: str, webhook_id: int, delivery_id: int
) -> tuple[WebhookDelivery, Webhook, CommunityAccess]:
    """One delivery of one of this community's webhooks (404 for any other pair of ids)."""
    webhook, access = webhook_for_owner(user, slug, webhook_id)
    delivery = WebhookDelivery.objects.filter(pk=delivery_id, webhook_id=webhook.pk).first()
    if delivery is None:
        raise Http404
    delivery.webhook = webhook
    return delivery, webhook, access


def _reference_member() -> Membership:
    """An ordinary active member (not saved): the reader every webhook payload is written for."""
    return Membership(role=Role.MEMBER, status=MembershipStatus.ACTIVE)


def webhook_may_show_space(space: Space) -> bool:
    """Events about content in a restricted space are never sent (not even to the owner's hook)."""
    return can_see_space(_reference_member(), space)


def webhook_may_show_post(post: Post) -> bool:
    """A post (with ``thread`` and ``thread.space`` loaded) an ordinary member sees right now."""
    reader = _reference_member()
    return (
        can_see_space(reader, post.thread.space)
        and post.thread.removed_at is None
        and post.status == PostStatus.PUBLISHED
        and post_visible_to(reader, post)
    )


def community_for_public_feed(slug: str) -> CommunityAccess:
    """A public community's feed, for anyone; every other community is 404 here (their members
    use their personal feed link)."""
    community = Community.objects.filter(slug=slug, visibility=Visibility.PUBLIC).first()
    if community is None:
        raise Http404
    return CommunityAccess(community, None)


def feed_for_token(token: str) -> tuple[CommunityAccess, FeedToken]:
    """The community and membership behind a personal feed token, with the token row; 404 when
    the token is unknown or revoked, or its owner is no longer an active member (left, banned,
    deactivated)."""
    if not token or len(token) > 100:
        raise Http404
    row = (
        FeedToken.objects.select_related("community", "user")
        .filter(digest=feed_token_digest(token), revoked_at__isnull=True)
        .first()
    )
    if row is None or not row.user.is_active:
        raise Http404
    membership = active_membership(row.user, row.community)
    if membership is None:
        raise Http404
    return CommunityAccess(row.community, membership), row


def feed_space(access: CommunityAccess, space_slug: str) -> Space:
    """A space of the feed's community its reader may see (restricted ones above them: 404)."""
    space = Space.objects.filter(community=access.community, slug=space_slug).first()
    if space is None or not can_see_space(access.membership, space):
        raise Http404
    return space


def membership_for_feed_link(user: Any, slug: str) -> Membership:
    """Making or revoking one's own feed link: active members of that community; others 404."""
    require_login(user)
    membership = (
        Membership.objects.select_related("community")
        .filter(user=user, community__slug=slug, status=MembershipStatus.ACTIVE)
        .first()
    )
    if membership is None:
        raise Http404
    return membership

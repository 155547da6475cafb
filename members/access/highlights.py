"""Access to highlights: whoever may read a community sees its Highlights page (each featured
post only if they may read its thread); the community's staff feature and unfeature posts."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from communities.discussions.models import Post
from members.access.core import CommunityAccess, is_staff, post_for_member
from members.models import Membership


def can_feature_post(membership: Membership | None, post: Post) -> bool:
    """Moderators and owners feature published, visible posts."""
    return is_staff(membership) and post.is_visible


def post_for_featurer(user: object, slug: str, post_id: int) -> tuple[Post, CommunityAccess]:
    """A post the viewer may read (404 otherwise), and they must be staff (members: 403)."""
    post, access = post_for_member(user, slug, post_id)
    if not is_staff(access.membership):
        raise PermissionDenied("Only moderators can feature posts.")
    return post, access

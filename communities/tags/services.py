"""Writes of tags: the community's list (owner-managed) and the tags of a thread.

Callers check access first (``members.access``: ``community_for_tag_manager``,
``thread_for_tagger``); the services check what holds whoever calls them.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from communities.discussions.models import Thread
from communities.models import Community
from communities.tags.models import Tag, ThreadTag
from members.models import STAFF_ROLES, Membership, Role
from moderation.audit import audit
from moderation.models import AuditAction

MAX_TAG_CHARS = 30
MAX_TAGS_PER_COMMUNITY = 100
MAX_TAGS_PER_THREAD = 5


def _clean_name(name: str) -> tuple[str, str]:
    name = " ".join((name or "").split()).lstrip("#")
    if not name:
        raise ValidationError("Give the tag a name.")
    if len(name) > MAX_TAG_CHARS:
        raise ValidationError(
            f"Tag names are limited to {MAX_TAG_CHARS} characters (“{name[:40]}” is longer)."
        )
    slug = slugify(name)[:40]
    if not slug:
        raise ValidationError(f"“{name}” needs at least one letter or digit.")
    return name, slug


def _create(
    community: Community, name: str, slug: str, created_by_id: int | None, description: str = ""
) -> Tag:
    if Tag.objects.filter(community=community).count() >= MAX_TAGS_PER_COMMUNITY:
        raise ValidationError(f"A community can have at most {MAX_TAGS_PER_COMMUNITY} tags.")
    # ignore_conflicts: two people adding the same new tag at once both end with the one tag.
    Tag.objects.bulk_create(
        [
            Tag(
                community=community,
                name=name,
                slug=slug,
                created_by_id=created_by_id,
                description=description,
            )
        ],
        ignore_conflicts=True,
    )
    return Tag.objects.get(community=community, slug=slug)


@transaction.atomic
def tag_create(*, community: Community, actor: Membership, name: str, description: str = "") -> Tag:
    """Add a tag to the community's list (owners; callers check)."""
    name, slug = _clean_name(name)
    if len(description or "") > 200:
        raise ValidationError("Descriptions are limited to 200 characters.")
    if Tag.objects.filter(community=community, slug=slug).exists():
        raise ValidationError(f"There is already a tag “{name}”.")
    return _create(community, name, slug, actor.user_id, (description or "").strip())


@transaction.atomic
def tag_update(*, tag: Tag, name: str, description: str = "") -> Tag:
    name, slug = _clean_name(name)
    if len(description or "") > 200:
        raise ValidationError("Descriptions are limited to 200 characters.")
    if Tag.objects.filter(community_id=tag.community_id, slug=slug).exclude(pk=tag.pk).exists():
        raise ValidationError(f"There is already a tag “{name}”.")
    tag.name, tag.slug, tag.description = name, slug, (description or "").strip()
    tag.save(update_fields=["name", "slug", "description"])
    return tag


@transaction.atomic
def tag_delete(*, tag: Tag) -> None:
    """Delete a tag; the threads that carried it simply lose it."""
    tag.delete()


def can_create_tags(community: Community, membership: Membership | None) -> bool:
    """Owners always; everyone else only when the community lets members add tags."""
    if membership is None:
        return False
    return membership.role == Role.OWNER or bool(community.members_may_add_tags)


@transaction.atomic
def thread_set_tags(
    *,
    actor: Membership,
    thread: Thread,
    tag_ids: list[int],
    new_names: list[str] | None = None,
) -> list[Tag]:
    """Replace the thread's tags with ``tag_ids`` (tags of the thread's community) plus
    ``new_names`` (created if missing, when the actor may create tags). At most
    MAX_TAGS_PER_THREAD. A moderator retagging someone else's thread is written to the audit log."""
    community = Community.objects.get(pk=thread.community_id)
    chosen = list(Tag.objects.filter(community=community, pk__in={int(t) for t in tag_ids}))
    if len(chosen) != len({int(t) for t in tag_ids}):
        raise ValidationError("Choose tags of this community.")
    for raw in new_names or []:
        if not raw.strip():
            continue
        name, slug = _clean_name(raw)
        existing = Tag.objects.filter(community=community, slug=slug).first()
        if existing is None:
            if not can_create_tags(community, actor):
                raise ValidationError(
                    f"“{name}” is not one of this community's tags, and only the owner can add tags."
                )
            existing = _create(community, name, slug, actor.user_id)
        if existing.pk not in {t.pk for t in chosen}:
            chosen.append(existing)
    if len(chosen) > MAX_TAGS_PER_THREAD:
        raise ValidationError(f"A thread can have at most {MAX_TAGS_PER_THREAD} tags.")
    before = set(ThreadTag.objects.filter(thread=thread).values_list("tag_id", flat=True))
    after = {t.pk for t in chosen}
    if before != after:
        ThreadTag.objects.filter(thread=thread).exclude(tag_id__in=after).delete()
        now = timezone.now()
        ThreadTag.objects.bulk_create(
            [ThreadTag(thread=thread, tag_id=pk, created_at=now) for pk in sorted(after - before)],
            ignore_conflicts=True,
        )
        if thread.author_id != actor.user_id and actor.role in STAFF_ROLES:
            audit(
                community_id=thread.community_id,
                actor=actor.user,
                action=AuditAction.THREAD_RETAGGED,
                target_thread_id=thread.pk,
                target_user_id=thread.author_id,
                data={"tags": sorted(t.name for t in chosen)},
            )
    return sorted(chosen, key=lambda t: t.name.casefold())

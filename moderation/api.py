"""API: the review queue of a community you moderate — list it, decide an item."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Path, Query, Router, Schema, Status
from ninja.decorators import decorate_view
from pydantic import Field

from members import access
from members.services import MembershipError
from members.tokens.auth import community, member_of
from members.tokens.idempotency import idempotent
from members.tokens.models import TokenScope
from members.tokens.schemas import IdPath, PersonOut, SafeText, SlugPath, responses
from moderation import queue as moderation_queue
from moderation import selectors, services
from moderation.sanctions import MAX_MUTE_DAYS

router = Router(tags=["moderation"])


class FlagOut(Schema):
    reason: str
    note: str
    flagger: PersonOut
    created_at: datetime


class QueuedPostOut(Schema):
    id: int
    thread_id: int
    thread_title: str
    author: PersonOut | None
    status: str
    body_html: str
    created_at: datetime


class QueuedJoinRequestOut(Schema):
    id: int
    person: PersonOut
    answers: list[dict]
    created_at: datetime


class QueueItemOut(Schema):
    kind: str = Field(
        description="join (a join request), flag (a flagged post) or held (a post awaiting approval)"
    )
    id: int = Field(description="The join request's id, or the post's id for flag and held items.")
    at: datetime
    join_request: QueuedJoinRequestOut | None
    post: QueuedPostOut | None
    flags: list[FlagOut]


class QueuePageOut(Schema):
    items: list[QueueItemOut]
    page: int
    pages: int
    count: int


class QueueFilters(Schema):
    type: Literal["join", "flag", "held"] | None = None
    page: int = Field(1, ge=1, le=100_000)
    newest_first: bool = False


class DecisionIn(Schema):
    decision: str = Field(
        description="join and held items: approve or reject; flag items: keep, hide or delete."
    )
    reason: SafeText = Field("", max_length=1000, description="Optional; the person sees it.")
    sanction: Literal["", "warn", "mute", "ban"] = Field("", description="Also sanction the post's author.")
    mute_days: int | None = Field(None, ge=1, le=MAX_MUTE_DAYS)


class DecisionOut(Schema):
    kind: str
    id: int
    detail: str


def _person(user: Any) -> dict | None:
    return {"handle": user.handle, "name": user.name} if user is not None else None


def _item_out(item: selectors.QueueItem) -> dict:
    jr, post = item.join_request, item.post
    return {
        "kind": item.kind,
        "id": item.pk,
        "at": item.at,
        "join_request": None
        if jr is None
        else {
            "id": jr.pk,
            "person": _person(jr.user),
            "answers": [a if isinstance(a, dict) else {"answer": str(a)} for a in (jr.answers or [])],
            "created_at": jr.created_at,
        },
        "post": None
        if post is None
        else {
            "id": post.pk,
            "thread_id": post.thread_id,
            "thread_title": post.thread.title,
            "author": _person(post.author),
            "status": post.status,
            "body_html": post.body_html,
            "created_at": post.created_at,
        },
        "flags": [
            {"reason": f.reason, "note": f.note, "flagger": _person(f.flagger), "created_at": f.created_at}
            for f in item.flags
        ],
    }


@router.get("/communities/{slug}/review-queue", response=responses(QueuePageOut), summary="The review queue")
def review_queue(request: HttpRequest, slug: SlugPath, filters: Query[QueueFilters]) -> dict:
    """Join requests, flagged posts and held posts waiting for a moderator, oldest first (posts in
    restricted spaces above the moderator's role are left out, as on the queue page)."""
    _, acc = community(request, TokenScope.MODERATE, access.community_for_staff, slug)
    page = selectors.review_queue_page(
        acc.community,
        viewer=acc.membership,
        kind=filters.type,
        page=filters.page,
        newest_first=filters.newest_first,
    )
    return {
        "items": [_item_out(i) for i in page.object_list],
        "page": page.number,
        "pages": page.paginator.num_pages,
        "count": page.paginator.count,
    }


CHOICES = {"join": ("approve", "reject"), "flag": ("keep", "hide", "delete"), "held": ("approve", "reject")}
CHOOSE = {
    "join": "Choose approve or reject.",
    "flag": "Choose keep, hide or delete.",
    "held": "Choose approve or reject.",
}
FLAG_DONE = {"keep": "Flags dismissed; the post stays.", "hide": "Post hidden.", "delete": "Post deleted."}


@router.post(
    "/communities/{slug}/review-queue/{kind}/{item_id}",
    response=responses(DecisionOut),
    summary="Decide a queue item",
)
@decorate_view(idempotent)
def review_decide(
    request: HttpRequest,
    slug: SlugPath,
    kind: Annotated[Literal["join", "flag", "held"], Path()],
    item_id: IdPath,
    payload: DecisionIn,
) -> dict | Status:
    """The queue's buttons: the same access functions, services, audit log and messages. Another
    moderator having decided first is 409 with who did."""
    approve = payload.decision == "approve"
    try:
        if kind == "join":
            _, (join_request, acc) = community(
                request, TokenScope.MODERATE, access.join_request_for_staff, slug, item_id
            )
            if payload.decision not in CHOICES[kind]:
                return Status(400, {"detail": CHOOSE[kind]})
            moderation_queue.queue_decide_join(
                actor=member_of(acc), join_request=join_request, approve=approve, reason=payload.reason
            )
            who = f"@{join_request.user.handle}"
            done = f"{who} is now a member." if approve else f"{who} was not approved."
        else:
            _, (post, acc) = community(request, TokenScope.MODERATE, access.post_for_staff, slug, item_id)
            if payload.decision not in CHOICES[kind]:
                return Status(400, {"detail": CHOOSE[kind]})
            if kind == "flag":
                moderation_queue.queue_resolve_flags(
                    actor=member_of(acc),
                    post=post,
                    action=payload.decision,
                    reason=payload.reason,
                    sanction=payload.sanction,
                    mute_days=payload.mute_days,
                )
                done = FLAG_DONE[payload.decision]
            else:
                moderation_queue.queue_decide_held(
                    actor=member_of(acc),
                    post=post,
                    approve=approve,
                    reason=payload.reason,
                    sanction=payload.sanction,
                    mute_days=payload.mute_days,
                )
                done = "Post approved and published." if approve else "Post rejected."
    except services.AlreadyHandled as exc:
        return Status(409, {"detail": str(exc)})
    except MembershipError as exc:
        return Status(400, {"detail": str(exc)})
    return {"kind": kind, "id": item_id, "detail": done}

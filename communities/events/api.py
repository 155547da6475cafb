"""API: RSVP to an event and vote on AMA questions (the event page's buttons)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.decorators import decorate_view
from pydantic import Field

from communities.events import services
from members import access
from members.tokens.auth import community, member_of
from members.tokens.idempotency import idempotent
from members.tokens.models import TokenScope
from members.tokens.schemas import IdPath, SlugPath, responses

router = Router(tags=["events"])


class RsvpIn(Schema):
    status: str = Field(description="going, maybe or not_going")


class RsvpOut(Schema):
    status: str = Field(description="going, maybe, not_going, or waitlisted when the event is full")


class VoteOut(Schema):
    voted: bool


@router.put(
    "/communities/{slug}/events/{event_id}/rsvp", response=responses(RsvpOut), summary="RSVP to an event"
)
@decorate_view(idempotent)
def rsvp(request: HttpRequest, slug: SlugPath, event_id: IdPath, payload: RsvpIn) -> dict:
    """Going / maybe / not going, as on the event page: "going" to a full event puts you on the
    waiting list; answering "going" again keeps your place."""
    _, (event, acc) = community(request, TokenScope.WRITE, access.event_for_member, slug, event_id)
    answer = services.rsvp_set(membership=member_of(acc), event=event, status=payload.status)
    return {"status": answer.status}


def _vote(request: HttpRequest, slug: str, question_id: int, vote: bool) -> dict:
    _, (question, _event, acc) = community(
        request, TokenScope.WRITE, access.question_for_member, slug, question_id
    )
    return {"voted": services.question_vote(membership=member_of(acc), question=question, vote=vote)}


@router.put(
    "/communities/{slug}/questions/{question_id}/vote",
    response=responses(VoteOut),
    summary="Upvote an AMA question",
)
@decorate_view(idempotent)
def question_vote(request: HttpRequest, slug: SlugPath, question_id: IdPath) -> dict:
    return _vote(request, slug, question_id, True)


@router.delete(
    "/communities/{slug}/questions/{question_id}/vote",
    response=responses(VoteOut),
    summary="Take back your vote",
)
@decorate_view(idempotent)
def question_unvote(request: HttpRequest, slug: SlugPath, question_id: IdPath) -> dict:
    return _vote(request, slug, question_id, False)

"""API: vote in a poll (the poll's vote button; changing your ballot until the poll closes)."""

from __future__ import annotations

from typing import Annotated

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.decorators import decorate_view
from pydantic import Field

from communities.polls.services import poll_vote
from members import access
from members.tokens.auth import community, member_of
from members.tokens.idempotency import idempotent
from members.tokens.models import TokenScope
from members.tokens.schemas import MAX_ID, IdPath, SlugPath, responses

router = Router(tags=["polls"])

ChoiceId = Annotated[int, Field(ge=1, le=MAX_ID)]


class BallotIn(Schema):
    choices: list[ChoiceId] = Field(max_length=50, description="The ids of the options you choose.")


class BallotOut(Schema):
    choices: list[int]


@router.put(
    "/communities/{slug}/polls/{poll_id}/vote", response=responses(BallotOut), summary="Vote in a poll"
)
@decorate_view(idempotent)
def vote(request: HttpRequest, slug: SlugPath, poll_id: IdPath, payload: BallotIn) -> dict:
    """Cast or change your ballot, with the poll page's rules and messages (one choice unless the
    poll allows several, closed polls and locked threads refuse, muted members can't vote)."""
    _, (poll, _thread, acc) = community(request, TokenScope.WRITE, access.poll_for_voter, slug, poll_id)
    ballot = poll_vote(voter=member_of(acc), poll=poll, choice_ids=payload.choices)
    return {"choices": sorted(ballot.votes.values_list("choice_id", flat=True))}

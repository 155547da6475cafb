"""RSVP and AMA votes through the API: the event page's rules (members only, hidden = 404,
the waiting list), with a token's write scope."""

from __future__ import annotations

import pytest

from communities.events.models import AmaQuestion, AmaVote, Rsvp
from communities.events.services import question_ask

pytestmark = pytest.mark.django_db


def test_rsvp_and_waiting_list(api, community, member, make_member, make_token, make_event):
    event = make_event(community, capacity=1)
    path = f"/communities/{community.slug}/events/{event.pk}/rsvp"
    first = api.call("put", path, {"status": "going"}, token=make_token(member.user))
    assert first.status_code == 200 and first.json() == {"status": "going"}
    late = make_member(community)
    second = api.call("put", path, {"status": "going"}, token=make_token(late.user))
    assert second.json() == {"status": "waitlisted"}
    bad = api.call("put", path, {"status": "perhaps"}, token=make_token(late.user))
    assert bad.status_code == 400 and bad.json()["detail"] == "Choose going, maybe or not going."
    read_only = api.call("put", path, {"status": "maybe"}, token=make_token(late.user, scopes=["read"]))
    assert read_only.status_code == 403
    assert Rsvp.objects.filter(event=event).count() == 2


@pytest.mark.parametrize("visibility", ["listed", "secret"])
def test_outsiders_cannot_rsvp(api, make_community, make_user, make_token, make_event, visibility):
    community = make_community(visibility=visibility)
    event = make_event(community)
    path = f"/communities/{community.slug}/events/{event.pk}/rsvp"
    outsider = api.call("put", path, {"status": "going"}, token=make_token(make_user()))
    anonymous = api.call("put", path, {"status": "going"})
    if visibility == "secret":
        assert outsider.status_code == anonymous.status_code == 404
    else:
        assert (outsider.status_code, anonymous.status_code) == (403, 401)
    assert not Rsvp.objects.exists()


def test_ama_votes(api, community, member, make_member, make_token, make_event):
    event = make_event(community, kind="ama")
    question = question_ask(membership=member, event=event, body_md="How do you start?")
    voter = make_member(community)
    path = f"/communities/{community.slug}/questions/{question.pk}/vote"
    token = make_token(voter.user)
    for _ in range(2):
        assert api.call("put", path, token=token).json() == {"voted": True}
    assert AmaVote.objects.filter(question=question).count() == 1
    own = api.call("put", path, token=make_token(member.user))
    assert own.status_code == 400 and own.json()["detail"] == "You can't upvote your own question."
    assert api.call("delete", path, token=token).json() == {"voted": False}
    assert not AmaVote.objects.exists()
    elsewhere = api.call(
        "put", f"/communities/{community.slug}/questions/{question.pk + 999}/vote", token=token
    )
    assert elsewhere.status_code == 404 and AmaQuestion.objects.count() == 1

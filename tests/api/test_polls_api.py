"""Poll votes through the API: the poll page's rules and messages, hidden = 404."""

from __future__ import annotations

import pytest

from communities.polls.models import PollBallot

pytestmark = pytest.mark.django_db


def test_vote_change_and_refusals(
    api, community, member, thread, make_member, make_user, make_token, make_poll
):
    poll = make_poll(member, thread)
    tea, coffee, _water = list(poll.choices.order_by("pk").values_list("pk", flat=True))
    voter = make_member(community)
    token = make_token(voter.user)
    path = f"/communities/{community.slug}/polls/{poll.pk}/vote"
    assert api.call("put", path, {"choices": [tea]}, token=token).json() == {"choices": [tea]}
    assert api.call("put", path, {"choices": [coffee]}, token=token).json() == {"choices": [coffee]}
    assert PollBallot.objects.filter(poll=poll).count() == 1
    two = api.call("put", path, {"choices": [tea, coffee]}, token=token)
    assert two.status_code == 400 and two.json()["detail"] == "This poll takes one choice."
    none = api.call("put", path, {"choices": []}, token=token)
    assert none.status_code == 400 and none.json()["detail"] == "Choose an option before voting."
    outsider = api.call("put", path, {"choices": [tea]}, token=make_token(make_user()))
    assert outsider.status_code == 403  # a listed community: members only
    missing = api.call(
        "put", f"/communities/{community.slug}/polls/{poll.pk + 99}/vote", {"choices": [tea]}, token=token
    )
    assert missing.status_code == 404 and missing.json() == {"detail": "Not found."}

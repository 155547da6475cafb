"""An anonymous poll never reveals who voted or how: not on any page (staff included), not in the
community archive, not in anybody else's personal data; named polls do travel with their ballots."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.urls import reverse

from communities.polls.models import Poll, PollBallot
from communities.polls.services import poll_close, poll_vote
from members.account.services import personal_data_write
from tests.communities.export_helpers import archive_bytes, read_docs

pytestmark = pytest.mark.django_db


@pytest.fixture
def ballots(thread, member, owner, make_member, make_user, make_poll):
    """An anonymous poll voted by a quiet member (who never posted: their name appears nowhere
    else), closed so that everyone sees the results; and a named poll voted by another one."""
    quiet = make_member(thread.community, user=make_user("quiet_voter", display_name="Quinn Quietly"))
    loud = make_member(thread.community, user=make_user("loud_voter", display_name="Lou Loudly"))
    secret = make_poll(
        member, thread, question="Rate the moderators?", choices=["Great", "Poor"], anonymous=True
    )
    named = make_poll(member, thread, question="Pizza or pasta?", choices=["Pizza", "Pasta"])
    poll_vote(voter=quiet, poll=secret, choice_ids=[secret.choices.get(label="Poor").pk])
    poll_vote(voter=loud, poll=named, choice_ids=[named.choices.get(label="Pasta").pk])
    poll_close(actor=owner, poll=secret)
    poll_close(actor=owner, poll=named)
    return {"quiet": quiet, "loud": loud, "secret": secret, "named": named}


def test_pages_never_show_anonymous_voters(client, thread, owner, moderator, ballots):
    for viewer in (owner, moderator):
        client.force_login(viewer.user)
        html = client.get(thread.get_absolute_url()).content.decode()
        assert "Rate the moderators?" in html and "Poor" in html  # the results are there...
        assert "quiet_voter" not in html and "Quinn Quietly" not in html  # ...never the voter
        assert (
            client.get(reverse("poll-voters", args=[thread.community.slug, ballots["secret"].pk])).status_code
            == 404
        )
        named = client.get(reverse("poll-voters", args=[thread.community.slug, ballots["named"].pk]))
        assert named.status_code == 200 and "Lou Loudly" in named.content.decode()
        for name in ("mod-log", "mod-members", "members-list"):
            page = client.get(reverse(name, args=[thread.community.slug]))
            if page.status_code == 200:
                assert "Rate the moderators?" not in page.content.decode()


def test_archive_carries_counts_only_for_anonymous_polls(thread, ballots):
    docs = read_docs(archive_bytes(thread.community))
    polls = {p["question"]: p for p in docs["polls.jsonl"]}
    secret, named = polls["Rate the moderators?"], polls["Pizza or pasta?"]
    assert secret["anonymous"] is True and secret["voter_count"] == 1
    counts = {c["label"]: c["vote_count"] for c in docs["poll_choices.jsonl"] if c["poll"] == secret["id"]}
    assert counts == {"Great": 0, "Poor": 1}
    assert {b["poll"] for b in docs["poll_ballots.jsonl"]} == {named["id"]}
    ballot_ids = {b["id"] for b in docs["poll_ballots.jsonl"]}
    assert all(v["ballot"] in ballot_ids for v in docs["poll_votes.jsonl"])
    quiet_id = ballots["quiet"].user_id
    assert all(b["user"] != quiet_id for b in docs["poll_ballots.jsonl"])


def _personal(user) -> dict[str, list]:
    buf = io.BytesIO()
    personal_data_write(user, buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zf:
        return {n: zf.read(n).decode() for n in zf.namelist()}


def test_personal_data(thread, member, owner, ballots):
    # The voter gets their own vote, marked anonymous.
    mine = _personal(ballots["quiet"].user)
    rows = [json.loads(line) for line in mine["poll_votes.jsonl"].splitlines()]
    assert rows == [
        {
            "community_slug": thread.community.slug,
            "thread_id": thread.pk,
            "poll": "Rate the moderators?",
            "anonymous": True,
            "voted_at": rows[0]["voted_at"],
            "changed_at": rows[0]["changed_at"],
            "choices": ["Poor"],
        }
    ]
    # Nobody else's download says anything about it: not the poll's author, not the owner who
    # closed it, not another voter.
    for other in (member.user, owner.user, ballots["loud"].user):
        blob = "\n".join(_personal(other).values())
        assert "quiet_voter" not in blob and "Quinn Quietly" not in blob
        assert not [
            json.loads(line)
            for line in _personal(other)["poll_votes.jsonl"].splitlines()
            if json.loads(line)["poll"] == "Rate the moderators?"
        ]


def test_round_trip_keeps_anonymous_counts(tmp_path, thread, ballots):
    from communities.portability.load import import_archive

    path = tmp_path / "a.zip"
    path.write_bytes(archive_bytes(thread.community))
    imported = import_archive(path).community
    secret = Poll.objects.get(community=imported, question="Rate the moderators?")
    assert secret.voter_count == 1 and secret.choices.get(label="Poor").vote_count == 1
    assert not PollBallot.objects.filter(poll=secret).exists()
    named = Poll.objects.get(community=imported, question="Pizza or pasta?")
    assert PollBallot.objects.filter(poll=named).count() == 1

"""Events travel in the community archive (events, RSVPs, AMA questions and votes) and a person's
RSVPs and votes are in their data download."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from communities.events.models import AmaQuestion, AmaVote, Event, Rsvp
from communities.portability.load import import_archive
from members.account.services import personal_data_write
from members.models import User
from tests.communities.export_helpers import archive_bytes, read_docs, seed_rich_community

pytestmark = pytest.mark.django_db


def test_events_in_the_archive_and_imported_with_their_links(tmp_path):
    community = seed_rich_community("evt")
    data = archive_bytes(community)
    docs = read_docs(data)
    assert len(docs["events.jsonl"]) == 1
    assert {r["status"] for r in docs["rsvps.jsonl"]} == {"going", "waitlisted"}
    assert len(docs["ama_questions.jsonl"]) == 1 and len(docs["ama_votes.jsonl"]) == 1
    assert "reminded_24h_at" not in docs["events.jsonl"][0]
    path = tmp_path / "evt.zip"
    path.write_bytes(data)
    imported = import_archive(path, slug="evt-copy").community
    event = Event.objects.select_related("thread", "ritual").get(community=imported)
    assert event.thread.community_id == imported.pk and event.thread.title == "AMA with Bob"
    assert event.ritual.community_id == imported.pk
    assert event.kind == "ama" and event.capacity == 2
    assert Rsvp.objects.filter(event=event).count() == 2
    question = AmaQuestion.objects.get(event=event)
    assert question.post.thread_id == event.thread_id
    assert AmaVote.objects.filter(question=question).count() == 1


def test_personal_data_download_has_rsvps_and_votes():
    seed_rich_community("pd")
    alice = User.objects.get(handle="pd_alice")
    buffer = io.BytesIO()
    counts = personal_data_write(alice, buffer)
    with zipfile.ZipFile(buffer) as zf:
        rsvps = [json.loads(line) for line in zf.read("rsvps.jsonl").splitlines()]
        votes = [json.loads(line) for line in zf.read("ama_votes.jsonl").splitlines()]
    assert counts["rsvps"] == 1
    assert rsvps[0]["event_title"] == "AMA with Bob" and rsvps[0]["status"] == "going"
    assert votes[0]["question_post_id"]

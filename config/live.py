"""Live updates without a reload: cheap conditional polling for an open thread and the bell.

The thread page carries a *version token* (``data-live-version``) and the id of its last post.
``static/js/hearth.js`` asks ``/live/c/<slug>/t/<id>/`` every few seconds with
``If-None-Match: "<token>"``:

* nothing changed: the token is still the one in the cache → ``304 Not Modified`` and this view
  runs **no query** (the request as a whole costs the session and user lookups of the
  middleware, 2 queries at most with database sessions);
* something changed (a post was saved in the thread, so ``post_saved`` replaced the token) or the
  token fell out of the cache: the full access check (``members.access.thread_for_reader``, a
  missing and a forbidden thread are the same 404) and one COUNT of the posts after the reader's
  last one that the reader may see → ``200 {"version": ..., "new": N}``.

Tokens are random (never derived from data a non-reader could guess), so a 304 tells nothing to
someone who never read the thread. The bell works the same way on the viewer's unread count: the
cached count of ``members.notifications.selectors.unread_count`` (no query when cached), which
every write of a notification or a read mark forgets after commit, on whichever node or worker
made it (the cache is the shared Redis), so a change made anywhere shows on the next poll.
Paths sit under ``/live/`` so visit metrics never count a poll.
Without JavaScript nothing polls; a plain reload shows the same state.
"""

from __future__ import annotations

import contextlib
import secrets
from typing import TYPE_CHECKING

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

if TYPE_CHECKING:
    from members.models import User

THREAD_KEY = "live:thread:{}"
THREAD_SECONDS = 24 * 3600
POLL_MS = 10_000


def _safe_get(key: str) -> object:
    try:
        return cache.get(key)
    except Exception:  # a broken cache is a miss: fall back to the full path
        return None


def _safe_set(key: str, value: object, seconds: int) -> None:
    # A cache outage costs queries, never the page.
    with contextlib.suppress(Exception):
        cache.set(key, value, seconds)


def thread_version(thread_id: int) -> str:
    """The thread's current token (made and cached on first use; no query)."""
    key = THREAD_KEY.format(thread_id)
    token = _safe_get(key)
    if not token:
        token = secrets.token_urlsafe(9)
        _safe_set(key, token, THREAD_SECONDS)
    return str(token)


def _new_token(thread_id: int) -> None:
    _safe_set(THREAD_KEY.format(thread_id), secrets.token_urlsafe(9), THREAD_SECONDS)


def thread_changed(thread_id: int) -> None:
    """Give the thread a new token: open pages see the change on their next poll.

    Now and again after commit. A poll answered (on any node) between the save and the commit
    takes the new token but counts without the uncommitted post; with only the first token it
    would hold a token that never changes again and get 304 while the post is there."""
    _new_token(thread_id)
    transaction.on_commit(lambda: _new_token(thread_id))


def post_saved(sender: type, instance: object, **kwargs: object) -> None:
    thread_id = getattr(instance, "thread_id", None)
    if thread_id:
        thread_changed(thread_id)


def connect() -> None:
    """Bump a thread's token whenever one of its posts is saved or deleted (idempotent)."""
    from communities.discussions.models import Post

    post_save.connect(post_saved, sender=Post, dispatch_uid="live-post-saved")
    post_delete.connect(post_saved, sender=Post, dispatch_uid="live-post-deleted")


def _if_none_match(request: HttpRequest) -> str:
    return request.headers.get("If-None-Match", "").strip().removeprefix("W/").strip('"')


def _not_modified(etag: str) -> HttpResponse:
    response = HttpResponse(status=304)
    response["ETag"] = f'"{etag}"'
    response["Cache-Control"] = "no-cache, private"
    return response


@never_cache
@require_GET
def thread_live(request: HttpRequest, slug: str, thread_id: int) -> HttpResponse:
    token = _safe_get(THREAD_KEY.format(thread_id))
    if token and _if_none_match(request) == token:
        return _not_modified(str(token))
    from communities.discussions import selectors
    from members import access

    thread, acc = access.thread_for_reader(request.user, slug, thread_id)
    after = request.GET.get("after", "")
    after_id = int(after) if after.isdigit() else 0
    new = (
        selectors.thread_posts(thread=thread, membership=acc.membership)
        .filter(pk__gt=after_id, removed_at__isnull=True)
        .count()
    )
    version = thread_version(thread.pk)
    response = JsonResponse({"version": version, "new": new})
    response["ETag"] = f'"{version}"'
    response["Cache-Control"] = "no-cache, private"
    return response


def unread_count(user: User) -> int:
    from members.notifications.selectors import unread_count as cached_unread_count

    return cached_unread_count(user)


@never_cache
@require_GET
def bell_live(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return JsonResponse({"unread": 0}, status=401)
    # No cache of its own: a second copy of the count would outlive the selector's, which
    # notification writes and read marks forget (a bell 304-ing an old count for its lifetime).
    count = unread_count(request.user)
    etag = str(count)
    if _if_none_match(request) == etag:
        return _not_modified(etag)
    response = JsonResponse({"unread": count})
    response["ETag"] = f'"{etag}"'
    response["Cache-Control"] = "no-cache, private"
    return response

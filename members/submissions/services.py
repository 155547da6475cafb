"""Run a create once per submitted form: ``submit_once``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from members.submissions.forms import KEY_PATTERN
from members.submissions.models import SubmissionKey

T = TypeVar("T")
KEEP_DAYS = 2


class SubmissionInProgress(ValidationError):
    """The same form was sent again while its first submission had not finished (or failed in
    a way that kept the key): say so instead of creating a second object."""


@transaction.atomic
def submit_once(
    *,
    user_id: int,
    key: str,
    scope: str,
    create: Callable[[], T],
    load: Callable[[int], T | None],
) -> tuple[T, bool]:
    """Run ``create()`` for the first submission of ``key`` by ``user_id``; for a repeat, return
    ``load(object_id)`` of the first result instead. Returns ``(result, repeated)``.

    The key row is inserted first, in the same transaction as what ``create`` writes: if
    ``create`` raises (a validation error, a rate limit), everything rolls back and the same form
    can be sent again. On PostgreSQL a concurrent repeat waits on the unique index until the first
    commits, then finds its row; on SQLite writers are serialized. An empty or malformed key
    skips de-duplication. ``create`` must return a saved model instance (its ``pk`` is stored).
    """
    if not KEY_PATTERN.fullmatch(key or ""):
        return create(), False
    try:
        with transaction.atomic():  # a savepoint: the failed INSERT must not poison the outer one
            row = SubmissionKey.objects.create(user_id=user_id, key=key, scope=scope)
    except IntegrityError:
        first = SubmissionKey.objects.filter(user_id=user_id, key=key).first()
        result = load(first.object_id) if first and first.scope == scope and first.object_id else None
        if result is None:
            raise SubmissionInProgress(
                "This form was already sent. Reload the page to see the result.", code="repeated"
            ) from None
        return result, True
    result = create()
    SubmissionKey.objects.filter(pk=row.pk).update(object_id=getattr(result, "pk", None))
    return result, False


def submission_keys_prune(*, now: datetime | None = None) -> int:
    """Delete keys older than KEEP_DAYS (a form is not resent days later). Returns the count."""
    cutoff = (now or timezone.now()) - timedelta(days=KEEP_DAYS)
    deleted, _ = SubmissionKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted

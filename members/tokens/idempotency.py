"""``Idempotency-Key`` for API writes: a repeat gets the first answer instead of acting twice.

Wrap an operation with ``@decorate_view(idempotent)`` (it wraps ninja's whole run, so the
stored answer is the exact response body). With the header, the first request claims
(person, key, endpoint) with a row under a unique constraint *in the same transaction as the
write*: a concurrent repeat waits on that row and then replays the answer; a write that fails
rolls the claim back with it. Only successful (2xx) answers are kept, so a refused request
(rate limit, validation, a missing right) can be retried with the same key once the reason is gone.
Reusing a key with a different body is 422. Keys live for a day.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from functools import wraps

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse

from members.tokens.auth import peek_caller
from members.tokens.models import IdempotentRequest

HEADER = "Idempotency-Key"
MAX_KEY_CHARS = 200


class _Discard(Exception):
    def __init__(self, response: HttpResponse) -> None:
        self.response = response


def _json(status: int, detail: str) -> HttpResponse:
    return HttpResponse(json.dumps({"detail": detail}), status=status, content_type="application/json")


def _replay(record: IdempotentRequest) -> HttpResponse:
    response = HttpResponse(
        record.body, status=record.status_code, content_type=record.content_type or "application/json"
    )
    response["Idempotent-Replayed"] = "true"
    return response


def idempotent(run: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(run)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        key = request.headers.get(HEADER)
        if key is None:
            return run(request, *args, **kwargs)
        key = key.strip()
        if not key or len(key) > MAX_KEY_CHARS or not key.isprintable():
            return _json(400, f"{HEADER} must be 1 to {MAX_KEY_CHARS} printable characters.")
        caller = peek_caller(request)
        if caller is None or not caller.is_authenticated:
            return run(request, *args, **kwargs)  # answers 401/403/404 as usual; nothing to keep
        user_id = caller.person.pk
        endpoint = f"{request.method} {request.path}"[:300]
        fingerprint = hashlib.sha256(request.body).hexdigest()
        try:
            with transaction.atomic():
                try:
                    with transaction.atomic():
                        record = IdempotentRequest.objects.create(
                            user_id=user_id,
                            key=key,
                            endpoint=endpoint,
                            fingerprint=fingerprint,
                            status_code=0,
                        )
                except IntegrityError:
                    record = None
                if record is None:
                    earlier = IdempotentRequest.objects.filter(
                        user_id=user_id, key=key, endpoint=endpoint
                    ).first()
                    if earlier is None or earlier.status_code == 0:
                        return _json(409, "A request with this Idempotency-Key is still being processed.")
                    if earlier.fingerprint != fingerprint:
                        return _json(422, f"This {HEADER} was already used with a different request body.")
                    return _replay(earlier)
                response = run(request, *args, **kwargs)
                if not 200 <= response.status_code < 300:
                    raise _Discard(response)
                record.status_code = response.status_code
                record.body = response.content.decode()
                record.content_type = response.get("Content-Type", "")[:100]
                record.save(update_fields=["status_code", "body", "content_type"])
                return response
        except _Discard as discarded:
            return discarded.response

    return wrapper

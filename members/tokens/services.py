"""Writes about personal access tokens: create (the secret is returned once), revoke, record use."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from communities.models import Community
from members.models import Membership, MembershipStatus, User
from members.tokens.models import ApiToken, IdempotentRequest, TokenScope

SECRET_PREFIX = "hearth_pat_"  # noqa: S105 (the public prefix of every token)
PREFIX_SHOWN = len(SECRET_PREFIX) + 6
MAX_ACTIVE_TOKENS = 20
# last_used_at is written at most this often per token: a busy script costs no write per call.
LAST_USED_EVERY = timedelta(minutes=5)
IDEMPOTENCY_TTL = timedelta(hours=24)


def digest_of(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # shown once; never stored


def _validate_scopes(scopes: list[str]) -> list[str]:
    chosen = [s for s in TokenScope.values if s in set(scopes or [])]
    if not chosen:
        raise ValidationError("Choose at least one scope.")
    unknown = set(scopes) - set(TokenScope.values)
    if unknown:
        raise ValidationError("Unknown scope: " + ", ".join(sorted(unknown)) + ".")
    return chosen


@transaction.atomic
def token_create(
    *,
    user: User,
    name: str,
    scopes: list[str],
    community: Community | None = None,
    expires_at: datetime | None = None,
) -> NewToken:
    """Make a token for ``user``. ``community`` (optional) must be one they are an active member
    of (the form offers only those); the secret is in the result and nowhere else."""
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError("Give the token a name, so you can tell it apart later.")
    if len(name) > 80:
        raise ValidationError("Token names are limited to 80 characters.")
    chosen = _validate_scopes(scopes)
    if (
        community is not None
        and not Membership.objects.filter(
            user=user, community=community, status=MembershipStatus.ACTIVE
        ).exists()
    ):
        raise ValidationError("Choose one of your communities.")
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError("The expiry date must be in the future.")
    User.objects.select_for_update().filter(pk=user.pk).first()  # one creation at a time per person
    active = ApiToken.objects.filter(user=user, revoked_at__isnull=True).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
    )
    if active.count() >= MAX_ACTIVE_TOKENS:
        raise ValidationError(
            f"You have {MAX_ACTIVE_TOKENS} active tokens; revoke one you no longer use first."
        )
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=secret[:PREFIX_SHOWN],
        digest=digest_of(secret),
        scopes=chosen,
        community=community,
        expires_at=expires_at,
    )
    return NewToken(token=token, secret=secret)


def token_revoke(*, user: User, token_id: int) -> bool:
    """Revoke one of the person's own tokens (someone else's id changes nothing)."""
    return bool(
        ApiToken.objects.filter(pk=token_id, user=user, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
    )


def tokens_revoke_all(*, user_ids: list[int]) -> int:
    """Revoke every live token of these people (the admin action; also usable after a breach)."""
    return ApiToken.objects.filter(user_id__in=user_ids, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def token_touch(token: ApiToken, *, now: datetime | None = None) -> None:
    """Record that the token was used, at most once per LAST_USED_EVERY."""
    now = now or timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_EVERY:
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now


def idempotent_requests_prune(*, now: datetime | None = None) -> int:
    """Forget idempotency keys older than a day (a repeat after that acts again)."""
    cutoff = (now or timezone.now()) - IDEMPOTENCY_TTL
    deleted, _ = IdempotentRequest.objects.filter(created_at__lt=cutoff).delete()
    return deleted

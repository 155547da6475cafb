"""Who is calling the REST API, and the checks every endpoint makes before the access policy.

Three ways in, tried in this order (``API_AUTH``):

1. ``Authorization: Bearer hearth_pat_…``: a personal access token. A header that is present
   but not a live token (unknown, expired, revoked, or its person deactivated) is 401 at once;
   it never falls back to the session.
2. The Django session cookie (same-origin calls from the site's own pages), with Django's CSRF
   check on unsafe methods: send ``X-CSRFToken``.
3. Nobody: anonymous, which can read what anonymous visitors of the pages can read.

An endpoint then calls :func:`community` (or :func:`require`) with the scope it needs; they add
the token's own limits to the one access policy (``members.access``), never replace it:

* the scope must be among the token's scopes (sessions have every scope; anonymous callers only
  ``read``): otherwise 403;
* a token restricted to one community sees no other: any other community is 404, exactly as if
  it did not exist;
* a token is refused (403) in a community its person is banned from, even where the pages
  would let a banned person read (public communities).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja.errors import AuthenticationError, HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from members import access
from members.access import CommunityAccess
from members.models import Membership, User
from members.tokens.models import ApiToken, TokenScope
from members.tokens.services import SECRET_PREFIX, digest_of, token_touch

T = TypeVar("T")

BAD_TOKEN = (  # a message, not a secret
    "This token is not valid: it is unknown, expired or revoked, or its account is inactive."  # noqa: S105
)
CSRF_FAILED = (
    "CSRF check failed. Calls with the session cookie must send the csrftoken cookie's value in "
    "the X-CSRFToken header; scripts should use a personal access token instead."
)


class MissingScope(PermissionDenied):
    """The token lacks the scope an endpoint needs (403)."""


@dataclass
class Caller:
    """The person behind a request (or an anonymous visitor) and the token they used, if any."""

    user: User | AnonymousUser
    token: ApiToken | None = None

    @property
    def is_authenticated(self) -> bool:
        return bool(self.user.is_authenticated)

    def has_scope(self, scope: str) -> bool:
        if self.token is not None:
            return scope in self.token.scopes
        if self.is_authenticated:
            return True
        return scope == TokenScope.READ

    @property
    def person(self) -> User:
        """The logged-in person (anonymous callers: 401)."""
        if not isinstance(self.user, User):
            raise access.LoginRequired
        return self.user

    @property
    def community_id(self) -> int | None:
        """The one community a restricted token may reach (None: no restriction)."""
        return self.token.community_id if self.token is not None else None

    def __bool__(self) -> bool:  # ninja treats a falsy auth result as "not authenticated"
        return True


def _caller(request: HttpRequest) -> Caller:
    caller = getattr(request, "auth", None)
    if not isinstance(caller, Caller):  # an operation without API_AUTH: treat as anonymous
        caller = Caller(user=AnonymousUser())
    return caller


def token_caller(secret: str) -> Caller | None:
    """The caller for a token secret, or None if it is not a live token of an active person."""
    secret = (secret or "").strip()
    if not secret.startswith(SECRET_PREFIX) or len(secret) > 200:
        return None
    token = ApiToken.objects.select_related("user", "community").filter(digest=digest_of(secret)).first()
    now = timezone.now()
    if token is None or not token.is_usable(now) or not token.user.is_active:
        return None
    token_touch(token, now=now)
    return Caller(user=token.user, token=token)


def peek_token(request: HttpRequest, secret: str) -> Caller | None:
    """token_caller, looked up once per request (the idempotency wrapper asks before ninja does)."""
    if not hasattr(request, "_api_token_caller"):
        setattr(request, "_api_token_caller", token_caller(secret))  # noqa: B010
    return cast(Caller | None, getattr(request, "_api_token_caller"))  # noqa: B009


def peek_caller(request: HttpRequest) -> Caller | None:
    """Who the request will authenticate as, without refusing anything (None: nobody valid)."""
    value = request.headers.get("Authorization")
    if value:
        scheme, _, secret = value.partition(" ")
        return peek_token(request, secret) if scheme.lower() == "bearer" else None
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return Caller(user=user)
    return None


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <personal access token>``."""

    def __call__(self, request: HttpRequest) -> Caller | None:
        value = request.headers.get("Authorization")
        if not value:
            return None
        scheme, _, secret = value.partition(" ")
        if scheme.lower() != "bearer":
            raise AuthenticationError(
                401, "Use 'Authorization: Bearer <token>' with a personal access token."
            )
        return self.authenticate(request, secret)

    def authenticate(self, request: HttpRequest, token: str) -> Caller:
        caller = peek_token(request, token)
        if caller is None:
            raise AuthenticationError(401, BAD_TOKEN)
        return caller


class SessionAuth(APIKeyCookie):
    """The site's own session cookie, with Django's CSRF check (unsafe methods only)."""

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None  # not logged in: no CSRF question, the next method (anonymous) answers
        if check_csrf(request):
            raise HttpError(403, CSRF_FAILED)
        return request.COOKIES.get(self.param_name) or "session"

    def authenticate(self, request: HttpRequest, key: str | None) -> Caller | None:
        if key is None:
            return None
        return Caller(user=request.user)


def anonymous(request: HttpRequest) -> Caller:
    """Nobody: the last resort, so public reads need no credentials."""
    return Caller(user=AnonymousUser())


API_AUTH: list[Callable[[HttpRequest], Caller | None]] = [TokenAuth(), SessionAuth(), anonymous]


# --- The checks every endpoint makes --------------------------------------------------------------


def require(request: HttpRequest, scope: str, *, login: bool = False) -> Caller:
    """The caller, if it has ``scope`` (403 otherwise); ``login``: anonymous callers get 401."""
    caller = _caller(request)
    if not caller.is_authenticated:
        if login:
            raise access.LoginRequired
        return caller  # the access policy answers anonymous visitors (404 for a secret community)
    if not caller.has_scope(scope):
        raise MissingScope(f"This token does not have the “{scope}” scope.")
    return caller


def member_of(acc: CommunityAccess) -> Membership:
    """The caller's active membership, where the access function already required one."""
    if acc.membership is None:
        raise PermissionDenied("Join this community to take part.")
    return acc.membership


def _refuse_banned(caller: Caller, acc: CommunityAccess) -> None:
    if caller.token is not None and acc.membership is None and access.is_banned(caller.user, acc.community):
        raise PermissionDenied("Tokens can't be used in a community you are banned from.")


def community(
    request: HttpRequest,
    scope: str,
    check: Callable[..., T],
    slug: str,
    *args: Any,
) -> tuple[Caller, T]:
    """Run the access function ``check(user, slug, *args)`` for this caller, after the scope and
    the token's community restriction, and refuse tokens of people banned there. Returns the
    caller and whatever ``check`` returned (a CommunityAccess, or an object with one)."""
    caller = require(request, scope)
    restricted = caller.token.community if caller.token is not None and caller.community_id else None
    if restricted is not None and restricted.slug != slug:
        raise Http404
    result = check(caller.user, slug, *args)
    if not caller.has_scope(scope):  # anonymous: only reads get past the policy
        raise access.LoginRequired
    found: Any = result
    acc = (
        found
        if isinstance(found, CommunityAccess)
        else next(r for r in found if isinstance(r, CommunityAccess))
    )
    _refuse_banned(caller, acc)
    return caller, result

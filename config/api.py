"""The REST API v1: one NinjaAPI mounting the ``api.py`` router of each room.

Every operation authenticates with ``members.tokens.auth.API_AUTH`` (token, session, or
anonymous) and then asks the same access policy and services as the pages; this module only
turns their exceptions into JSON answers, the same for every room:

* ``Http404`` -> 404 ``{"detail": "Not found."}``, identical for a hidden object and a missing one;
* ``LoginRequired`` -> 401; ``PermissionDenied`` (and a missing token scope) -> 403;
* ``RateLimited`` -> 429 with ``Retry-After``; other service ``ValidationError``s -> 400 with the
  message the pages show; a request that doesn't fit the schema -> 422.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as SchemaValidationError

from communities.api import router as communities_router
from communities.discussions.api import router as discussions_router
from communities.events.api import router as events_router
from communities.polls.api import router as polls_router
from members.access import LoginRequired
from members.api import router as members_router
from members.notifications.api import router as notifications_router
from members.tokens.auth import API_AUTH
from metrics.api import router as metrics_router
from moderation.api import router as moderation_router
from moderation.ratelimit import RateLimited

NOT_FOUND = "Not found."
LOGIN_FIRST = "Log in, or send a personal access token (Authorization: Bearer …), to see this."

DESCRIPTION = """\
The Hearth REST API. Everything it answers follows the same access rules as the site's pages:
a private community's content is invisible (404) to anyone who isn't a member, and a token can
never do more than its person could do on the pages.

**Authentication**: send a personal access token (made under Settings → API tokens) as
`Authorization: Bearer hearth_pat_…`, or call from the site itself with the session cookie and
the `X-CSRFToken` header. Public communities can be read without either.

**Lists** are cursor-paginated: pass the `next_cursor` of a page as `cursor` for the next one.

**Writes** accept an `Idempotency-Key` header: a repeat with the same key returns the first
answer instead of acting twice. See docs/api.md for the full guide.
"""

api = NinjaAPI(
    title="Hearth API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    auth=API_AUTH,
    docs=Swagger(settings={"persistAuthorization": False, "tryItOutEnabled": False}),
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def _error(request: HttpRequest, status: int, detail: str, **extra: object) -> HttpResponse:
    body = {"detail": detail, **{k: v for k, v in extra.items() if v is not None}}
    return api.create_response(request, body, status=status)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, NOT_FOUND)


@api.exception_handler(LoginRequired)
def _login_required(request: HttpRequest, exc: LoginRequired) -> HttpResponse:
    response = _error(request, 401, LOGIN_FIRST)
    response["WWW-Authenticate"] = 'Bearer realm="hearth"'
    return response


@api.exception_handler(AuthenticationError)
def _bad_credentials(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    detail = exc.message if exc.message != "Unauthorized" else LOGIN_FIRST
    response = _error(request, 401, detail)
    response["WWW-Authenticate"] = 'Bearer realm="hearth", error="invalid_token"'
    return response


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.status_code, exc.message)


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return _error(request, 403, str(exc) or "You don't have permission to do this.")


@api.exception_handler(DjangoValidationError)
def _refused(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    messages = list(exc.messages)
    detail = " ".join(messages)
    code = getattr(exc, "code", None)
    if isinstance(exc, RateLimited):
        response = _error(request, 429, detail, code="rate_limited")
        response["Retry-After"] = str(exc.retry_after)
        return response
    if code == "muted":  # moderation.services.PostingRefused for a muted member: a 403 on the pages too
        return _error(request, 403, detail, code=code)
    return _error(request, 400, detail, errors=messages if len(messages) > 1 else None, code=code)


@api.exception_handler(SchemaValidationError)
def _invalid(request: HttpRequest, exc: SchemaValidationError) -> HttpResponse:
    errors = []
    for err in exc.errors:
        where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "payload"))
        errors.append(f"{where}: {err.get('msg', 'invalid')}" if where else str(err.get("msg", "invalid")))
    return _error(
        request, 422, "The request doesn't match the API schema: " + "; ".join(errors), errors=errors
    )


api.add_router("", communities_router)
api.add_router("", discussions_router)
api.add_router("", events_router)
api.add_router("", polls_router)
api.add_router("", members_router)
api.add_router("", notifications_router)
api.add_router("", moderation_router)
api.add_router("", metrics_router)

"""Site-wide request plumbing: one structured log line per request, the input guard at the edge
and private caching of pages for people with a session."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
import time
from collections.abc import Callable, Iterable

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils.cache import patch_cache_control
from django.utils.datastructures import MultiValueDict

log = logging.getLogger("hearth.request")

# Path segments that look like secrets (invite tokens, reset and confirmation keys, signed
# unsubscribe or download tokens) are never written to the log.
_SECRETISH = re.compile(r"^[A-Za-z0-9_:.\-]{20,}$")


def redact_path(path: str) -> str:
    parts = path.split("/")
    return "/".join("[redacted]" if _SECRETISH.match(p) and not p.isdigit() else p for p in parts)


class RequestLogMiddleware:
    """Logs ``method path status duration`` for every request: no query string, no user, no IP."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed_ms = (time.perf_counter() - started) * 1000
        log.info(
            "request method=%s path=%s status=%s ms=%.1f htmx=%s",
            request.method,
            redact_path(request.path),
            response.status_code,
            elapsed_ms,
            "1" if request.headers.get("HX-Request") else "0",
        )
        return response


# --- The edge: refuse what can't be meant before anything reads it ------------------------------

# C0 controls (NUL first of all: PostgreSQL refuses it in text and the query raises) and DEL.
# Tabs and line breaks are ordinary in form fields; in a path nothing of the kind is.
_CONTROL_IN_PATH = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_IN_VALUE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# In form fields only NUL is refused here (PostgreSQL can't store it); other odd characters are
# the forms' business, so a pasted form feed gets a message next to the field, text kept.
_NUL = re.compile(r"\x00")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}
# An urlencoded form bigger than DATA_UPLOAD_MAX_MEMORY_SIZE (a 10 MB paste into the reply box)
# is read in chunks and each field kept up to this many bytes, so the page can say what the limit
# is and give back the start of the text instead of a bare 400. Beyond HARD_LIMIT: 413 at once.
KEEP_FIELD_BYTES = 100_000
HARD_LIMIT_BYTES = 64 * 1024 * 1024


def _edge_page(status: int, message: str) -> HttpResponse:
    """The site's 400/404/413 page rendered without the request: no session, user or database."""
    from django.conf import settings
    from django.template.loader import render_to_string

    template = {404: "404.html"}.get(status, "400.html")
    html: str
    try:
        html = render_to_string(template, {"exception": message, "site_name": settings.SITE_NAME})
    except Exception:  # a broken template must not turn a 400 into a 500
        html = f"<!doctype html><title>Bad request</title><p>{message}</p>"
    response = HttpResponse(html, status=status)
    response.edge_message = message  # type: ignore[attr-defined]
    return response


def _edge_json(status: int, message: str) -> HttpResponse:
    """The same refusal for the REST API, in its one error shape (``{"detail": …}``, docs/api.md)."""
    import json

    return HttpResponse(json.dumps({"detail": message}), status=status, content_type="application/json")


def _bad_text(values: Iterable[str], pattern: re.Pattern[str]) -> bool:
    return any(pattern.search(v) or _SURROGATE.search(v) for v in values)


def _query_items(request: HttpRequest) -> Iterable[str]:
    for key, values in request.GET.lists():
        yield key
        yield from values


def _read_oversized_form(request: HttpRequest) -> QueryDict:
    """Parse an urlencoded body that is over the memory limit, keeping at most KEEP_FIELD_BYTES
    of each field (the rest is read and dropped; memory stays bounded)."""
    from django.conf import settings

    pairs: list[bytes] = []
    current = bytearray()
    dropped = False
    max_fields = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS or 1000
    while chunk := request.read(64 * 1024):
        parts = chunk.split(b"&")
        for i, part in enumerate(parts):
            if i > 0:
                pairs.append(bytes(current))
                current, dropped = bytearray(), False
                if len(pairs) > max_fields:
                    raise SuspiciousOperation("too many fields")
            if not dropped:
                room = KEEP_FIELD_BYTES - len(current)
                current += part[:room]
                dropped = len(part) > room
    pairs.append(bytes(current))
    # A cut may end inside a %XX escape: drop a dangling "%" or "%X".
    cleaned = [re.sub(rb"%[0-9A-Fa-f]?$", b"", p) for p in pairs if p]
    return QueryDict(b"&".join(cleaned), encoding="utf-8")


class InputGuardMiddleware:
    """Answers hostile or malformed requests at the edge, before the database is touched:

    * a path with NUL or other control characters: 404 (like any address that doesn't exist);
    * a query string with NUL or other control characters, a form field with NUL: 400;
    * a form post declared in a charset other than UTF-8 (``charset=utf-16``, ``latin-1``):
      400 with a message, without reading the body (Django would raise on every access to
      ``request.POST``, including inside its own error handling);
    * an urlencoded form over DATA_UPLOAD_MAX_MEMORY_SIZE: read in bounded chunks, each field
      kept up to KEEP_FIELD_BYTES, so the view can refuse it with a message and give back the
      start of the text; over HARD_LIMIT_BYTES: 413.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refused = self.check(request)
        if refused is not None:
            if request.path.startswith("/api/"):
                return _edge_json(refused.status_code, getattr(refused, "edge_message", ""))
            return refused
        return self.get_response(request)

    def check(self, request: HttpRequest) -> HttpResponse | None:
        from django.conf import settings

        if _CONTROL_IN_PATH.search(request.path) or _SURROGATE.search(request.path):
            return _edge_page(404, "There is nothing at this address.")
        if _bad_text(_query_items(request), _CONTROL_IN_VALUE):
            return _edge_page(400, "The address contains characters that aren't allowed (such as NUL).")
        if request.method not in {"POST", "PUT", "PATCH"} or request.content_type not in _FORM_TYPES:
            return None
        charset = ((request.content_params or {}).get("charset") or "utf-8").strip().strip('"').lower()
        if charset not in {"utf-8", "utf8"}:
            return _edge_page(
                400,
                "Forms must be sent as UTF-8 (this one said another character set). Reload the page "
                "and send it again from there.",
            )
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _edge_page(400, "The request's length is not a number.")
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        # Multipart bodies carry files (avatars, community archives up to HEARTH_IMPORT_MAX_MB):
        # Django streams those and limits only the other fields, so they are left to it.
        urlencoded = request.content_type == "application/x-www-form-urlencoded"
        if urlencoded and limit is not None and length > limit:
            if length > HARD_LIMIT_BYTES:
                return _edge_page(
                    413,
                    f"That was too large to send ({length / 1_048_576:.1f} MB; the limit is "
                    f"{limit / 1_048_576:.1f} MB). Posts are limited to 32,000 characters.",
                )
            try:
                request._post = _read_oversized_form(request)  # type: ignore[attr-defined]
            except (SuspiciousOperation, OSError):
                return _edge_page(400, "The form could not be read.")
            request._files = MultiValueDict()  # type: ignore[attr-defined]
        try:
            fields = list(request.POST.lists())
        except RequestDataTooBig:  # a multipart text field over the limit (files are fine)
            return _edge_page(
                413,
                f"That was too large to send (the limit for text is {(limit or 0) / 1_048_576:.1f} MB). "
                "Posts are limited to 32,000 characters.",
            )
        except Exception:  # unreadable or malformed body (multipart errors, too many fields ...)
            return _edge_page(400, "The form could not be read. Reload the page and try again.")
        values = (v for key, vs in fields for v in (key, *vs) if isinstance(v, str))
        if _bad_text(values, _NUL):
            return _edge_page(400, "The form contains a character that isn't allowed (NUL).")
        return None


class PrivateCacheMiddleware:
    """A response to a visitor with a session (logged in, or in the middle of signing up) is
    theirs alone: ``Cache-Control: private, no-store`` unless the view chose a policy itself.
    Looks at the cookie, not ``request.user``, so it costs no query."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.conf import settings

        response = self.get_response(request)
        public_max_age = getattr(response, "hearth_public_max_age", None)
        if public_max_age and "Cache-Control" not in response and _shareable(request, response):
            patch_cache_control(response, public=True, max_age=public_max_age)
        if "Cache-Control" not in response and settings.SESSION_COOKIE_NAME in request.COOKIES:
            patch_cache_control(response, private=True, no_store=True)
        return response


def _shareable(request: HttpRequest, response: HttpResponse) -> bool:
    """The same bytes for every anonymous visitor: a GET without a session answered 200 without
    setting a cookie (a page with a form sets the CSRF cookie and stays uncached)."""
    from django.conf import settings

    return (
        request.method in ("GET", "HEAD")
        and response.status_code == 200
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and not response.cookies
    )


def cache_publicly(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Let shared caches (a reverse proxy, a CDN) keep this anonymous page for
    ``HEARTH_ANONYMOUS_MAX_AGE`` seconds. Call only for content anyone may read (a public
    community's pages); :class:`PrivateCacheMiddleware` applies it only when the response is
    the same for every anonymous visitor (no session, no cookie set)."""
    from django.conf import settings

    max_age = settings.HEARTH_ANONYMOUS_MAX_AGE
    if max_age and not request.user.is_authenticated:
        response.hearth_public_max_age = max_age  # type: ignore[attr-defined]
    return response


# --- Whole-page cache for anonymous readers ------------------------------------------------------

# Cookies that never change a page a public view marks shareable: the CSRF cookie (pages with a
# form set it and are never stored). Any other cookie (session, flash messages) skips the cache.
_NEUTRAL_COOKIES = frozenset({"csrftoken"})
_HOP_HEADERS = frozenset({"content-length", "set-cookie"})


class AnonymousPageCacheMiddleware:
    """Serve public pages to anonymous readers from the shared cache.

    Only pages a view marked with :func:`cache_publicly` (a public community's home and thread
    pages) and :func:`_shareable` (no session, 200, no cookie set) are stored, for
    ``HEARTH_ANONYMOUS_MAX_AGE`` seconds: exactly what the response already allows any proxy or
    CDN to keep, so the in-app copy adds no staleness of its own. Only requests without a
    session or flash cookie and without htmx read it. A response whose Content-Security-Policy
    carries a nonce is never stored (two responses must never share one; Hearth's policy allows
    scripts from 'self' only, without nonces). Off with ``HEARTH_ANONYMOUS_PAGE_CACHE=false``; a
    cache outage only means rendering."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    @staticmethod
    def _key(request: HttpRequest) -> str:
        raw = f"{request.get_host()}|{request.get_full_path()}"
        return "anonpage:" + hashlib.blake2b(raw.encode(), digest_size=16).hexdigest()

    @staticmethod
    def _eligible(request: HttpRequest) -> bool:
        from django.conf import settings

        return (
            settings.HEARTH_ANONYMOUS_PAGE_CACHE
            and settings.HEARTH_ANONYMOUS_MAX_AGE > 0
            and request.method in ("GET", "HEAD")
            and not request.headers.get("HX-Request")
            and set(request.COOKIES) <= _NEUTRAL_COOKIES
        )

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.conf import settings
        from django.core.cache import cache

        if not self._eligible(request):
            return self.get_response(request)
        key = self._key(request)
        try:
            stored = cache.get(key)
        except Exception:  # a broken cache is a miss
            stored = None
        if isinstance(stored, tuple) and len(stored) == 2:
            return self._serve(*stored)
        response = self.get_response(request)
        max_age = getattr(response, "hearth_public_max_age", None)
        if (
            max_age
            and "Cache-Control" not in response
            and _shareable(request, response)
            and not response.streaming
            and request.method == "GET"
            and "'nonce-" not in response.get("Content-Security-Policy", "")
        ):
            headers = [(k, v) for k, v in response.items() if k.lower() not in _HOP_HEADERS]
            with contextlib.suppress(Exception):
                cache.set(key, (headers, response.content), min(max_age, settings.HEARTH_ANONYMOUS_MAX_AGE))
        return response

    @staticmethod
    def _serve(headers: list[tuple[str, str]], content: bytes) -> HttpResponse:
        from django.conf import settings

        response = HttpResponse(content, status=200)
        for name, value in headers:
            response[name] = value
        response.hearth_public_max_age = settings.HEARTH_ANONYMOUS_MAX_AGE  # type: ignore[attr-defined]
        return response

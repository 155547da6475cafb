"""Page fragments rendered once and served from the cache: the thread page's post blocks and
the community home's thread rows.

A fragment template is rendered from plain values only (strings, numbers, booleans, and lists
or dicts of them): each item's own values as ``b`` plus the page's shared values. The cache key
is a digest of exactly those values and of the template sources, so a cached fragment can never
be stale or belong to another situation: an edit, a reaction, a renamed author, another viewer's
rights, another time zone or another minute of "5m ago" all give another key, and viewers in
the same situation share one fragment. The builders of the values (``post_blocks``,
``thread_rows`` in communities/discussions) must put into them everything the template shows;
the templates must read nothing else.

Forms inside a fragment carry a placeholder instead of the CSRF token, swapped for the viewer's
token after the cache, so a cached fragment never holds anyone's token; a page whose fragments
have no form never touches the token (anonymous pages stay cacheable by a proxy).

A page costs one ``get_many`` and, for the fragments not cached yet, one ``set_many``; a cache
outage costs rendering, never the page. ``HEARTH_FRAGMENT_CACHE_SECONDS=0`` renders every time.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Sequence
from functools import cache as memoize

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template import Context
from django.template.loader import get_template
from django.utils.safestring import SafeString, mark_safe

CSRF_MARK = "csrf-token-of-the-viewer"
_CSRF_INPUT = '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
_MARKED = _CSRF_INPUT.format(CSRF_MARK)


@memoize
def _sources_digest(names: tuple[str, ...]) -> str:
    """A digest of the templates' sources: a deploy that changes them never reads old fragments."""
    h = hashlib.blake2b(digest_size=8)
    for name in names:
        h.update(get_template(name).template.source.encode())  # type: ignore[attr-defined]
    return h.hexdigest()


def _key(prefix: str, digest: str, shared: dict, values: dict) -> str:
    raw = repr((digest, sorted(shared.items()), sorted(values.items())))
    return f"frag:{prefix}:" + hashlib.blake2b(raw.encode(), digest_size=16).hexdigest()


def _get_many(keys: list[str]) -> dict:
    try:
        return cache.get_many(keys)
    except Exception:  # a broken cache is a miss (the Redis cache already turns its errors into misses)
        return {}


def render_fragments(
    request: HttpRequest,
    template_name: str,
    items: Sequence[dict],
    shared: dict,
    *,
    includes: tuple[str, ...] = (),
) -> list[SafeString]:
    """The HTML of ``template_name`` for each item (``b``) with the page's ``shared`` values,
    from the cache where possible. ``includes``: templates it includes (part of the key)."""
    seconds = settings.HEARTH_FRAGMENT_CACHE_SECONDS
    digest = _sources_digest((template_name, *includes))
    prefix = template_name.rsplit("/", 1)[-1].removesuffix(".html")
    keys = [_key(prefix, digest, shared, values) for values in items]
    found = _get_many(keys) if seconds else {}
    rendered: dict[str, str] = {}
    template = get_template(template_name).template  # type: ignore[attr-defined]
    token_input = None
    out = []
    for key, values in zip(keys, items, strict=True):
        html = found.get(key) or rendered.get(key)
        if html is None:
            html = template.render(Context({**shared, "b": values, "csrf_token": CSRF_MARK}))
            rendered[key] = html
        if _MARKED in html:
            if token_input is None:
                token_input = _CSRF_INPUT.format(get_token(request))
            html = html.replace(_MARKED, token_input)
        out.append(mark_safe(html))
    if rendered and seconds:
        # The page is rendered either way; a failed write means the next page renders again.
        with contextlib.suppress(Exception):
            cache.set_many(rendered, seconds)
    return out

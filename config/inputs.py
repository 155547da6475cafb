"""Safe parsing of what a browser (or anyone) can send: numbers, redirect targets, text lines.

One helper each, used everywhere, so a page number of "²" (``str.isdigit()`` says yes, ``int()``
says no), a ``next`` of "foo" (``redirect()`` would look it up as a URL name) or a title made of
bidi controls never turn into a 500 or a spoofed name.
"""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme

_ASCII_INT = re.compile(r"[0-9]{1,18}")


def parse_int(value: object, default: int | None = None, *, minimum: int | None = None,
              maximum: int | None = None) -> int | None:  # fmt: skip
    """``value`` as a non-negative int if it is 1-18 ASCII digits, else ``default``; clamped to
    ``minimum``/``maximum`` when given. Never raises."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and _ASCII_INT.fullmatch(value):
        number = int(value)
    else:
        return default
    if minimum is not None:
        number = max(minimum, number)
    if maximum is not None:
        number = min(maximum, number)
    return number


def is_htmx(request: HttpRequest) -> bool:
    """Whether htmx sent the request (django-htmx's middleware sets ``request.htmx``)."""
    return bool(getattr(request, "htmx", False))


def safe_next(request: HttpRequest, fallback: str, *, field: str = "next") -> str:
    """The ``next`` target of the request (POST, then GET) if it is a path on this site, else
    ``fallback``. Only absolute paths ("/...") count: "foo", "//host", "https://…", "javascript:"
    all fall back."""
    target = request.POST.get(field) or request.GET.get(field) or ""
    if (
        target.startswith("/")
        and not target.startswith(("//", "/\\"))
        and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure())
    ):
        return target
    return fallback


def redirect_next(request: HttpRequest, fallback: str, *, field: str = "next") -> HttpResponseRedirect:
    """Redirect to :func:`safe_next` (a plain redirect: never a URL-name lookup)."""
    return HttpResponseRedirect(safe_next(request, fallback, field=field))


# Characters that change how text around them is displayed without being visible themselves:
# bidi embeddings/overrides/isolates and marks (a "U+202E" title reads backwards), zero-width
# spaces and joiners used to make look-alike names, the BOM, the soft hyphen, and the other
# invisible format characters. ZWJ/ZWNJ (U+200D, U+200C) stay allowed: emoji sequences and
# several scripts need them, and they do not reorder text.
_BIDI = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_ZERO_WIDTH = set("\u200b\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad\u180e")
_JOINERS = set("\u200c\u200d")


def invisible_characters(text: str) -> list[str]:
    """The disallowed invisible/control characters in ``text`` (empty when it is fine)."""
    found = []
    for ch in text:
        if ch in _JOINERS or ch in "\t\n\r" or "\U000e0020" <= ch <= "\U000e007f":  # emoji tag sequences
            continue
        if ch in _BIDI or ch in _ZERO_WIDTH or unicodedata.category(ch) in {"Cc", "Cf", "Cs"}:
            found.append(ch)
    return found


def clean_line(text: str, *, what: str = "This") -> str:
    """A one-line name or title: whitespace collapsed, invisible controls refused (a
    ValidationError naming them), and at least one visible character required (else "")."""
    text = " ".join((text or "").split())
    bad = invisible_characters(text)
    if bad:
        names = ", ".join(sorted({f"U+{ord(c):04X}" for c in bad}))
        raise ValidationError(
            f"{what} contains invisible characters that change how text is shown ({names}). "
            "Remove them and try again.",
            code="invisible",
        )
    if not any(not ch.isspace() and ch not in _JOINERS for ch in text):
        return ""
    return text

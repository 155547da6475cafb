"""Site-wide request plumbing: one structured log line per request."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

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

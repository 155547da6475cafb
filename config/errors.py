"""Friendly error responses shared by the apps."""

from __future__ import annotations

import math

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string


def too_many_requests(request: HttpRequest, message: str, retry_after: float) -> HttpResponse:
    """A 429 page (or a short text for htmx) with a ``Retry-After`` header in whole seconds."""
    seconds = max(1, math.ceil(retry_after))
    if request.headers.get("HX-Request"):
        body = f"{message} Try again in {seconds} second{'s' if seconds != 1 else ''}."
        response = HttpResponse(body, status=429, content_type="text/plain; charset=utf-8")
    else:
        html = render_to_string("429.html", {"message": message, "retry_after": seconds}, request=request)
        response = HttpResponse(html, status=429)
    response["Retry-After"] = str(seconds)
    return response

"""The one composer path of discussions (new thread, reply, edit): validation, preview with the
posting renderer, rate limits and refusals as messages on the form that keep what was typed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse

from communities import markdown as communities_markdown
from moderation.ratelimit import RateLimited, rate_limited_response


@dataclass
class Composed:
    """What one composer submission came to (see ``compose``)."""

    result: object = None  # what the service returned, when it wrote
    preview: str | None = None  # rendered preview, when the person asked for one
    retry_after: int | None = None  # seconds, when a rate limit refused the write
    response: HttpResponse | None = None  # a finished answer (429 JSON for htmx/JSON callers)


def compose(request: HttpRequest, form: Form, write: Callable[[], object]) -> Composed:
    """The one path of the three composers (new thread, reply, edit): a valid form either renders
    a preview (the same renderer as posting) or calls ``write``; every refusal becomes a message on
    the form, which keeps what the person typed. Rate limits answer htmx/JSON callers with 429 JSON
    and plain form posts with the form again plus 429 and Retry-After."""
    out = Composed()
    if not form.is_valid():
        return out
    if "preview" in request.POST:
        try:
            out.preview = communities_markdown.render_user_markdown(form.cleaned_data["body"])
        except ValidationError as exc:
            form.add_error("body", " ".join(exc.messages))
        return out
    try:
        out.result = write()
    except RateLimited as exc:
        out.response = rate_limited_response(request, exc)
        form.add_error(None, exc.messages[0])
        out.retry_after = exc.retry_after
    except ValidationError as exc:
        for msg in exc.messages:
            form.add_error(None, msg)
    return out


def with_retry_after(response: HttpResponse, retry_after: int | None) -> HttpResponse:
    """A form shown again after a rate limit: 429 with Retry-After."""
    if retry_after:
        response.status_code = 429
        response["Retry-After"] = str(retry_after)
    return response

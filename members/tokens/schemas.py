"""Types shared by every room's ``api.py``: the error body, bounded ids, safe text and slugs."""

from __future__ import annotations

from typing import Annotated, Any

from ninja import Path, Schema
from pydantic import AfterValidator, Field

# Ids fit PostgreSQL's bigint: a larger number would be a database error instead of a 404.
MAX_ID = 2**63 - 1
SLUG_PATTERN = r"^[-a-zA-Z0-9_]+$"


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("Text can't contain NUL characters.")
    return value


SafeText = Annotated[str, AfterValidator(_no_nul)]

SlugPath = Annotated[str, Path(pattern=SLUG_PATTERN, max_length=60, description="The community's slug.")]
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
OptionalId = Annotated[int | None, Field(default=None, ge=1, le=MAX_ID)]


class ErrorOut(Schema):
    """Every error: ``detail`` is a sentence for a person (the same text the pages show)."""

    detail: str
    errors: list[str] | None = None
    code: str | None = None


ERROR_CODES = (400, 401, 403, 404, 409, 422, 429)


def responses(ok: dict[int, Any] | Any, status: int = 200) -> dict[int, Any]:
    """The operation's success schema plus the error body for every error status it may answer."""
    result: dict[int, Any] = dict(ok) if isinstance(ok, dict) else {status: ok}
    for code in ERROR_CODES:
        result.setdefault(code, ErrorOut)
    return result


class PersonOut(Schema):
    handle: str
    name: str

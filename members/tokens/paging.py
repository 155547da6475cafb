"""Cursor (keyset) pagination for the API's lists.

A cursor is the signed sort key of the last item of a page: the next page is "rows after this
key" in the same order, so a page costs the same whatever its depth (no OFFSET) and rows added
meanwhile never shift a page. Cursors are signed, so a client can't hand us arbitrary values.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.core import signing
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from ninja import Schema
from pydantic import create_model

DEFAULT_LIMIT = 30
MAX_LIMIT = 100
_SALT = "hearth.api.cursor"


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    return value


def _typed(value: Any) -> Any:
    if isinstance(value, dict) and "dt" in value:
        return datetime.fromisoformat(value["dt"])
    if isinstance(value, dict) and "d" in value:
        return date.fromisoformat(value["d"])
    return value


def _field(order: str) -> tuple[str, bool]:
    return order.lstrip("-"), order.startswith("-")


def _after(order: list[str], values: list[Any]) -> Q:
    """Rows strictly after ``values`` in ``order`` (a lexicographic comparison as a filter)."""
    result = Q(pk__in=[])
    equal = Q()
    for spec, value in zip(order, values, strict=True):
        name, desc = _field(spec)
        result |= equal & Q(**{f"{name}__{'lt' if desc else 'gt'}": value})
        equal &= Q(**{name: value})
    return result


def _key(row: Any, order: list[str]) -> list[Any]:
    return [_plain(getattr(row, _field(spec)[0])) for spec in order]


def cursor_page(
    qs: QuerySet, *, order: list[str], cursor: str | None, limit: int, salt: str = ""
) -> tuple[list[Any], str | None]:
    """One page of ``qs`` in ``order`` (fields of the rows, ending with a unique one such as
    ``id``), after ``cursor``; returns the rows and the next cursor (None on the last page).
    ``salt`` ties a cursor to its list (a thread's posts cursor is refused for another list)."""
    if cursor:
        try:
            raw = signing.loads(cursor, salt=_SALT + salt)
            values = [_typed(v) for v in raw]
            if len(values) != len(order):
                raise ValueError
        except (signing.BadSignature, ValueError, TypeError, KeyError):
            raise ValidationError("This cursor is not valid for this list.", code="bad_cursor") from None
        qs = qs.filter(_after(order, values))
    rows = list(qs.order_by(*order)[: limit + 1])
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = signing.dumps(_key(rows[-1], order), salt=_SALT + salt, compress=True)
    return rows, next_cursor


_pages: dict[type, type] = {}


def page_of(item: type[Schema]) -> type[Schema]:
    """The response schema ``{"items": [item, …], "next_cursor": str | null}``."""
    if item not in _pages:
        _pages[item] = create_model(
            f"{item.__name__}Page",
            __base__=Schema,
            items=(list[item], ...),  # type: ignore[valid-type]
            next_cursor=(str | None, None),
        )
    return _pages[item]

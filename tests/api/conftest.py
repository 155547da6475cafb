"""Helpers for the REST API tests: tokens and JSON calls."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from django.core.cache import cache

from members.tokens.services import token_create
from tests.events.conftest import make_event  # noqa: F401 (fixture for the events API tests)
from tests.polls.conftest import make_poll  # noqa: F401 (fixture for the polls API tests)

ALL_SCOPES = ["read", "write", "moderate", "metrics"]


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def make_token(db) -> Callable[..., str]:
    """A token secret for ``user`` (every scope unless told otherwise)."""

    def make(user, *, scopes=None, community=None, expires_at=None, name="test") -> str:
        return token_create(
            user=user, name=name, scopes=scopes or ALL_SCOPES, community=community, expires_at=expires_at
        ).secret

    return make


class Api:
    """Calls /api/v1/… with JSON bodies and an optional bearer token."""

    def __init__(self, client) -> None:
        self.client = client

    def call(self, method: str, path: str, body=None, *, token: str | None = None, **headers):
        if token is not None:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        fn = getattr(self.client, method.lower())
        url = "/api/v1" + path
        if body is None and method.lower() in ("get", "delete"):
            return fn(url, **headers)
        return fn(url, data=json.dumps(body or {}), content_type="application/json", **headers)

    def get(self, path: str, **kw):
        return self.call("get", path, **kw)

    def post(self, path: str, body=None, **kw):
        return self.call("post", path, body, **kw)


@pytest.fixture
def api(client) -> Api:
    return Api(client)

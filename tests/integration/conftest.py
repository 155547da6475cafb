"""Fixtures of the integration tests; the real worker itself is ``tests/worker.py``."""

from __future__ import annotations

import secrets

import pytest


@pytest.fixture
def heartbeat_token() -> str:
    return secrets.token_hex(8)

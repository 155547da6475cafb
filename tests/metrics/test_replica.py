"""The optional read replica (``DATABASE_REPLICA_URL``, config/replica.py), tested for real.

The routing tests (``replica_routing.py``) need the ``replica`` alias from start-up, so they run
in a pytest process of their own started with ``DATABASE_REPLICA_URL`` pointing at the same
database (the alias mirrors the test database). On the PostgreSQL leg that is PostgreSQL (a test
database of its own, ``<name>_replica``); on the SQLite leg, a SQLite file URL (the mirror shares
the in-memory test database). Settings wiring and start-up errors are in tests/config.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse, urlunparse

from django.conf import settings

BASE_DIR = Path(__file__).resolve().parents[2]


def test_the_router_sends_dashboard_reads_to_the_replica_in_a_real_start(tmp_path):
    if "replica" in settings.DATABASES:
        # This process was started with a replica: replica_routing.py is run by whoever started it.
        assert settings.DATABASES["replica"]["TEST"]["MIRROR"] == "default"
        return
    primary = os.environ.get("DATABASE_URL", "").strip()
    if primary:
        parsed = urlparse(primary)
        primary = urlunparse(parsed._replace(path=parsed.path.rstrip("/") + "_replica"))
    else:
        primary = f"sqlite:///{tmp_path / 'primary.sqlite3'}"
    env = {
        # Not HEARTH_REQUIRE_SERVICES: that run has no integration test, and need not have one.
        **{k: v for k, v in os.environ.items() if k != "HEARTH_REQUIRE_SERVICES"},
        "DATABASE_URL": primary,
        "DATABASE_REPLICA_URL": primary,
        "HEARTH_VAR_DIR": str(tmp_path / "var"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/metrics/replica_routing.py", "-q", "-p", "no:cacheprovider",
         "--create-db"],
        cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    assert done.returncode == 0, f"{done.stdout[-4000:]}\n{done.stderr[-2000:]}"
    assert re.search(r"\b5 passed\b", summary), summary
    assert not re.search(r"skipped|failed|error", summary), summary

"""The schedule a test's Celery beat runs (``celery -A config beat -S tests.beat:ClusterScheduler``).

The real entries of ``config/celery.py`` (task names and options, ``expires`` included), chosen by
``HEARTH_TEST_BEAT_ENTRIES`` (comma-separated entry names) and fired every
``HEARTH_TEST_BEAT_SECONDS`` instead of every minute, once per queue named in
``HEARTH_TEST_BEAT_QUEUES``: with two workers' queues, every tick reaches both workers at the same
moment (the worst case of beat's delivery: two beats, or a re-delivered tick). Loaded by the beat
process only; it imports nothing of the test suite.
"""

from __future__ import annotations

import os
from typing import Any

from celery.beat import Scheduler


def cluster_schedule(real: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    names = [n.strip() for n in os.environ.get("HEARTH_TEST_BEAT_ENTRIES", "").split(",") if n.strip()]
    queues = [q.strip() for q in os.environ.get("HEARTH_TEST_BEAT_QUEUES", "").split(",") if q.strip()]
    seconds = float(os.environ.get("HEARTH_TEST_BEAT_SECONDS", "1"))
    missing = [n for n in names if n not in real]
    if missing or not names or not queues:
        raise RuntimeError(f"test beat: unknown or no entries {missing or names}, queues {queues}")
    schedule = {}
    for name in names:
        entry = real[name]
        for queue in queues:
            schedule[f"{name}@{queue}"] = {
                "task": entry["task"],
                "schedule": seconds,
                "args": entry.get("args", ()),
                "kwargs": entry.get("kwargs", {}),
                "options": {**entry.get("options", {}), "queue": queue},
            }
    return schedule


class ClusterScheduler(Scheduler):
    """An in-memory scheduler (no schedule file) with only the chosen entries, sped up."""

    def setup_schedule(self) -> None:
        self.merge_inplace(cluster_schedule(self.app.conf.beat_schedule))

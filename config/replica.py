"""The read replica: which reads may go to ``DATABASES["replica"]`` (set by ``DATABASE_REPLICA_URL``).

Only the owner's dashboard reads there: its page, its CSV/JSON export and the metrics API read
the metrics snapshot tables (``READ_MODELS``) inside :func:`replica_reads`, and the router sends
those reads, and nothing else, to the replica. Snapshots are recomputed every 15 minutes, so a
replica a few seconds behind shows the same numbers. Everything else stays on the primary:

* every write (the router never routes a write; Django writes to ``default``);
* every other read, the access check of the dashboard included (a member demoted a moment ago
  must lose the dashboard at once, not when the replica catches up), and every page that must
  read its own writes (read markers, unread counts, "already handled");
* a read inside a transaction on the primary (a writer reading what it is writing);
* reads of the snapshot tables outside the dashboard (the compute jobs read and overwrite them).

Without ``DATABASE_REPLICA_URL`` the router is not installed and nothing changes.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar

from django.db import connections

REPLICA = "replica"
# The metrics app's read models: what the dashboard, its export and the API show.
READ_MODELS = frozenset(
    {"metrics.dailysnapshot", "metrics.retentioncohort", "metrics.contributorday", "metrics.ritualsnapshot"}
)

_replica_reads: ContextVar[bool] = ContextVar("hearth_replica_reads", default=False)

P = ParamSpec("P")
R = TypeVar("R")


@contextlib.contextmanager
def replica_reads() -> Iterator[None]:
    """Inside the block, reads of ``READ_MODELS`` may go to the replica (if one is configured)."""
    token = _replica_reads.set(True)
    try:
        yield
    finally:
        _replica_reads.reset(token)


def reads_from_replica(view: Callable[P, R]) -> Callable[P, R]:
    """Run a view inside :func:`replica_reads`."""

    @functools.wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        with replica_reads():
            return view(*args, **kwargs)

    return wrapped


class ReplicaRouter:
    """Installed by settings only when ``DATABASE_REPLICA_URL`` is set."""

    def db_for_read(self, model: type, **hints: Any) -> str | None:
        if not _replica_reads.get() or model._meta.label_lower not in READ_MODELS:  # type: ignore[attr-defined]
            return None
        if connections["default"].in_atomic_block:
            return None  # a transaction on the primary reads there (it may need its own writes)
        return REPLICA

    def db_for_write(self, model: type, **hints: Any) -> str | None:
        return "default"

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        # The replica holds the primary's rows: a snapshot read there may point at a community
        # read from the primary.
        if {obj1._state.db, obj2._state.db} <= {"default", REPLICA}:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        # A replica follows the primary's schema by replication; never migrate it directly.
        return db != REPLICA

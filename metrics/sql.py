"""SQL building blocks of the metrics (definitions: docs/metrics.md) and the day tables.

Local days are turned into UTC instants in Python (``DayWindow``, ``Span``) or bucketed in SQL by
a CASE over the time zone's offsets (``local_day_sql``), so every query compares timestamps and
integers and runs unchanged on PostgreSQL and SQLite. Point in time (docs/metrics.md §1): the
helpers read history tables (MembershipEvent through ``metrics_memberperiod``, PostEvent,
RemovedReaction) rather than current state, so nothing that happens after D changes D.
"""

# ruff: noqa: S608 - SQL is assembled from constants and helpers; values are always bound parameters

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection

STAFF = "('owner', 'moderator')"


@dataclass(frozen=True)
class DayWindow:
    """Local date D of a community and the UTC instants the metrics need."""

    community_id: int
    day: date
    tz: ZoneInfo
    bots: tuple[int, ...] = ()  # ids of system accounts, ignored everywhere

    def start_of(self, d: date) -> datetime:
        return datetime.combine(d, time.min, tzinfo=self.tz).astimezone(UTC)

    @property
    def start(self) -> datetime:
        return self.start_of(self.day)

    @property
    def end(self) -> datetime:
        """The local midnight that ends D (exclusive upper bound of everything)."""
        return self.start_of(self.day + timedelta(days=1))

    def days_back(self, n: int) -> datetime:
        """Start of the window "last n days" (n local dates ending on D)."""
        return self.start_of(self.day - timedelta(days=n - 1))

    @property
    def ordinal(self) -> int:
        return self.day.toordinal()


def local_date(at: datetime, tz: ZoneInfo) -> date:
    return at.astimezone(tz).date()


# --- SQL helpers ---------------------------------------------------------------------------------


def _dt(value: datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


def _d(value: date) -> Any:
    return connection.ops.adapt_datefield_value(value)


def _parse_dt(value: Any) -> datetime:
    """Raw cursors on SQLite return timestamps as text."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _rows(sql: str, params: dict[str, Any]) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _one(sql: str, params: dict[str, Any]) -> tuple:
    rows = _rows(sql, params)
    return rows[0]


def _exec(sql: str, params: dict[str, Any]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def member_at(user_col: str, at_col: str) -> str:
    """SQL: the person was a member of the community at instant ``at_col`` (needs ``periods``).

    A membership runs from a join (inclusive) to the next leave or ban (exclusive).
    """
    return f"""EXISTS (SELECT 1 FROM metrics_memberperiod pr
        WHERE pr.community_id = %(c)s AND pr.user_id = {user_col}
          AND pr.start <= {at_col} AND (pr."end" IS NULL OR pr."end" > {at_col}))"""


def rebuild_periods(community_id: int) -> None:
    """Rewrite the community's membership periods. Joins and ends alternate (a join while active
    and a leave while away are no-ops that write no event), so each join's period ends at the
    next leave or ban of the same person."""
    p = {"c": community_id}
    _exec("DELETE FROM metrics_memberperiod WHERE community_id = %(c)s", p)
    _exec(
        """
        INSERT INTO metrics_memberperiod (community_id, user_id, start, "end")
        SELECT %(c)s, user_id, at, nxt FROM (
            SELECT user_id, kind, at, LEAD(at) OVER (PARTITION BY user_id ORDER BY at, id) AS nxt
              FROM members_membershipevent
             WHERE community_id = %(c)s AND kind IN ('joined', 'left', 'banned')) mev
         WHERE kind = 'joined'
        """,
        p,
    )


def not_bot(col: str, bots: tuple[int, ...]) -> str:
    """SQL: ``col`` is a person. Bots are few, so their ids are inlined (integers from the DB)."""
    if not bots:
        return f"{col} IS NOT NULL"
    return f"({col} IS NOT NULL AND {col} NOT IN ({', '.join(str(int(b)) for b in bots)}))"


# Common table expressions shared by the queries below.
#  gone / hist: posts removed at %(end)s according to their removal/restore history, and posts that
#           have any such history (those without fall back to their current ``removed_at``).
#  gone_threads / hist_threads: the same for threads, through their opening post.
REMOVAL_CTE = """
    pev AS (
        SELECT pe.post_id, pe.kind, pe.at,
               ROW_NUMBER() OVER (PARTITION BY pe.post_id ORDER BY pe.at DESC, pe.id DESC) AS rn
          FROM communities_postevent pe JOIN communities_post pp ON pp.id = pe.post_id
         WHERE pp.community_id = %(c)s AND pe.kind IN ('removed', 'restored')),
    hist AS (SELECT DISTINCT post_id FROM pev),
    gone AS (
        SELECT post_id FROM (
            SELECT post_id, kind, ROW_NUMBER() OVER (PARTITION BY post_id ORDER BY at DESC) AS k
              FROM pev WHERE at < %(end)s) latest
         WHERE k = 1 AND kind = 'removed'),
    gone_threads AS (
        SELECT pp.thread_id FROM gone JOIN communities_post pp ON pp.id = gone.post_id WHERE pp.is_opening),
    hist_threads AS (
        SELECT pp.thread_id FROM hist JOIN communities_post pp ON pp.id = hist.post_id WHERE pp.is_opening)"""


def with_ctes(*, removals: bool = False) -> str:
    return "WITH " + REMOVAL_CTE if removals else ""


def published_by_end(alias: str) -> str:
    """SQL: post ``alias`` was published (held posts: approved) before %(end)s."""
    return f"({alias}.status = 'published' AND COALESCE({alias}.published_at, {alias}.created_at) < %(end)s)"


def not_removed(alias: str) -> str:
    """SQL: post ``alias`` itself is not removed at %(end)s (needs the removal CTEs)."""
    return f"""({alias}.id NOT IN (SELECT post_id FROM gone)
        AND NOT ({alias}.removed_at IS NOT NULL AND {alias}.removed_at < %(end)s
                 AND {alias}.id NOT IN (SELECT post_id FROM hist)))"""


def thread_not_removed(thread_id: str) -> str:
    """SQL: the thread with id ``thread_id`` (its opening post) is not removed at %(end)s."""
    return f"""({thread_id} NOT IN (SELECT thread_id FROM gone_threads)
        AND {thread_id} NOT IN (
            SELECT th.id FROM communities_thread th
             WHERE th.community_id = %(c)s AND th.removed_at IS NOT NULL AND th.removed_at < %(end)s
               AND th.id NOT IN (SELECT thread_id FROM hist_threads)))"""


def live(post: str) -> str:
    """SQL: post ``post`` is live at %(end)s: published by then, and neither it nor its thread's
    opening post removed at the end of D."""
    return f"({published_by_end(post)} AND {not_removed(post)} AND {thread_not_removed(post + '.thread_id')})"


def _base(w: DayWindow) -> dict[str, Any]:
    return {
        "c": w.community_id,
        "start": _dt(w.start),
        "end": _dt(w.end),
        "ord": w.ordinal,
        "day": _d(w.day),
        "s7": _dt(w.days_back(7)),
        "s30": _dt(w.days_back(30)),
    }


def ratio(num: float | None, den: float | None) -> float | None:
    if num is None or not den:
        return None
    return num / den


def day_range(start: date, end: date) -> Iterable[date]:
    d = start
    while d <= end:
        yield d
        d += timedelta(days=1)


# --- Ranges of days ----------------------------------------------------------------------------------
#
# A backfill (or the nightly run with its refreshed days) computes a run of consecutive days. The
# day tables and the two expensive families (posts, judged threads) are then computed for the whole
# run at once: every event is bucketed by its local date in one pass (``local_day_sql``) and the
# rolling windows are summed from per-day groups, instead of re-reading the same 30–37 days of
# history once per day. Removals, restores and approvals (rare; they make liveness depend on D)
# are handled by the per-day queries above, restricted to the threads that have any (``special``).


@dataclass(frozen=True)
class Span:
    """Consecutive local dates ``first`` … ``last`` of one community."""

    community_id: int
    first: date
    last: date
    tz: ZoneInfo
    bots: tuple[int, ...] = ()

    def window(self, d: date) -> DayWindow:
        return DayWindow(self.community_id, d, self.tz, self.bots)

    def start_of(self, d: date) -> datetime:
        return datetime.combine(d, time.min, tzinfo=self.tz).astimezone(UTC)

    def days(self) -> list[date]:
        return list(day_range(self.first, self.last))


# How far before the span's first day timestamps are bucketed exactly (the longest look-back is 36
# days; the margin covers a post published long after it was written).
BUCKET_MARGIN_DAYS = 400


@functools.lru_cache(maxsize=64)
def _utc_offsets(tz: ZoneInfo, lo: datetime, hi: datetime) -> tuple[tuple[datetime | None, int], ...]:
    """The time zone's UTC offset (seconds) as pieces ``(until, offset)`` covering ``lo`` … ``hi``;
    the last piece has ``until`` None. Transitions are found to the second."""

    def off(ts: int) -> int:
        return int(datetime.fromtimestamp(ts, UTC).astimezone(tz).utcoffset().total_seconds())

    t, end = int(lo.timestamp()), int(hi.timestamp())
    current = off(t)
    pieces: list[tuple[datetime | None, int]] = []
    while t < end:
        n = t + 3600
        if off(n) != current:
            a, b = t, n  # off(a) == current != off(b): the transition is in (a, b]
            while b - a > 1:
                mid = (a + b) // 2
                a, b = (mid, b) if off(mid) == current else (a, mid)
            pieces.append((datetime.fromtimestamp(b, UTC), current))
            current = off(b)
        t = n
    pieces.append((None, current))
    return tuple(pieces)


def local_day_sql(col: str, span: Span, params: dict[str, Any]) -> str:
    """SQL: the ordinal (``date.toordinal()``) of the local date of timestamp ``col``.

    Exact from BUCKET_MARGIN_DAYS before the span to its end: the offsets of the time zone over
    that stretch become a CASE on the timestamp (a handful of DST pieces), so this runs unchanged
    on SQLite, which has no time zone database. Adds its parameters to ``params``.
    """
    if "_tzoff" not in params:
        lo = span.start_of(span.first - timedelta(days=BUCKET_MARGIN_DAYS))
        hi = span.start_of(span.last + timedelta(days=2))
        pieces = _utc_offsets(span.tz, lo, hi)
        whens = []
        for i, (until, offset) in enumerate(pieces):
            if until is None:
                whens.append(f"ELSE {int(offset)}")
            else:
                params[f"tzu{i}"] = _dt(until)
                whens.append(f"WHEN {{col}} < %(tzu{i})s THEN {int(offset)}")
        params["_tzoff"] = "CASE " + " ".join(whens) + " END" if len(pieces) > 1 else str(pieces[0][1])
    offset = params["_tzoff"].replace("{col}", col)
    if connection.vendor == "postgresql":
        shifted = f"({col} + ({offset}) * INTERVAL '1 second') AT TIME ZONE 'UTC'"
        return f"(CAST({shifted} AS date) - DATE '0001-01-01' + 1)"
    # SQLite's date functions round to milliseconds; offsets and midnights are whole seconds, so
    # truncating the stored text to the second first keeps 23:59:59.9999 on its own day.
    return f"CAST(julianday(date(substr({col}, 1, 19), ({offset}) || ' seconds')) - 1721424.5 AS INTEGER)"


def date_ordinal_sql(col: str) -> str:
    """SQL: ``date.toordinal()`` of a date column."""
    if connection.vendor == "postgresql":
        return f"({col} - DATE '0001-01-01' + 1)"
    return f"CAST(julianday({col}) - 1721424.5 AS INTEGER)"


def ordinal_date_sql(expr: str) -> str:
    """SQL: the date of ordinal ``expr`` (inverse of ``date_ordinal_sql``)."""
    if connection.vendor == "postgresql":
        return f"(DATE '0001-01-01' + ({expr} - 1))"
    return f"date({expr} + 1721424.5)"


def _span_params(span: Span) -> dict[str, Any]:
    return {
        "c": span.community_id,
        "lo": _dt(span.start_of(span.first)),
        "hi": _dt(span.start_of(span.last + timedelta(days=1))),
        "lo_ord": span.first.toordinal(),
        "hi_ord": span.last.toordinal(),
        "lo_day": _d(span.first),
        "hi_day": _d(span.last),
    }


def _sql(sql: str, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Drop the helper entries (``_tzoff``) that are not bound parameters."""
    return sql, {k: v for k, v in params.items() if not k.startswith("_")}


# Reactions as given: the ones still on (communities_reaction) and the ones taken back since
# (communities_removedreaction keeps when they were given).
REACTION_TABLES = ("communities_reaction", "communities_removedreaction")


def reactions_given(r: str, rp: str, day: str, when: str) -> str:
    """SQL: ``UNION ALL`` branches selecting (user, ``day``) for every reaction given in the
    community while a member and matching ``when`` (conditions on ``r.created_at``), whether it
    is still on or was taken back later. Starts with ``UNION ALL``."""
    return "".join(
        f"""
            UNION ALL
            SELECT {r}.user_id, {day}
              -- CROSS JOIN: SQLite then reads the span's reactions by time instead of every
              -- post of the community (PostgreSQL plans it as the inner join it is).
              FROM {table} {r} CROSS JOIN communities_post {rp}
             WHERE {rp}.id = {r}.post_id AND {rp}.community_id = %(c)s AND {when}
               AND {member_at(f"{r}.user_id", f"{r}.created_at")}"""
        for table in REACTION_TABLES
    )


def materialize_span(span: Span) -> None:
    """``materialize_day`` for every day of the span at once: who was active, who entered, who
    contributed, each event bucketed by its local date."""
    p = _span_params(span)
    bots = span.bots
    for table in ("metrics_activeday", "metrics_entrant"):
        _exec(f"DELETE FROM {table} WHERE community_id = %(c)s AND day BETWEEN %(lo_ord)s AND %(hi_ord)s", p)
    _exec(
        "DELETE FROM metrics_contributorday"
        " WHERE community_id = %(c)s AND day >= %(lo_day)s AND day <= %(hi_day)s",
        p,
    )

    def in_span(col: str) -> str:
        return f"{col} >= %(lo)s AND {col} < %(hi)s"

    # Active (docs/metrics.md §2): posts written (held ones included), reactions given (those
    # taken back since included: activity stands), invites created, joins, visits; each while a
    # member; bots never.
    _exec(
        *_sql(
            f"""
        INSERT INTO metrics_activeday (community_id, user_id, day)
        SELECT DISTINCT %(c)s, x.user_id, x.day FROM (
            SELECT p.author_id AS user_id, {local_day_sql("p.created_at", span, p)} AS day
              FROM communities_post p
             WHERE p.community_id = %(c)s AND {in_span("p.created_at")}
               AND {member_at("p.author_id", "p.created_at")}
            {reactions_given("r", "rp", local_day_sql("r.created_at", span, p), in_span("r.created_at"))}
            UNION ALL
            SELECT i.created_by_id, {local_day_sql("i.created_at", span, p)} FROM members_invite i
             WHERE i.community_id = %(c)s AND {in_span("i.created_at")}
               AND {member_at("i.created_by_id", "i.created_at")}
            UNION ALL
            SELECT j.user_id, {local_day_sql("j.at", span, p)} FROM members_membershipevent j
             WHERE j.community_id = %(c)s AND j.kind = 'joined' AND {in_span("j.at")}
            UNION ALL
            SELECT v.user_id, {date_ordinal_sql("v.day")} FROM metrics_visit v
             WHERE v.community_id = %(c)s AND v.day >= %(lo_day)s AND v.day <= %(hi_day)s
               AND {member_at("v.user_id", "v.at")}
        ) x
        WHERE {not_bot("x.user_id", bots)}
        """,
            p,
        )
    )

    referred = (
        "i.id IS NOT NULL AND NOT i.created_by_staff"
        f" AND ({not_bot('i.created_by_id', bots)} OR i.created_by_id IS NULL)"
    )
    _exec(
        *_sql(
            f"""
        INSERT INTO metrics_entrant (community_id, user_id, day, referred, inviter_id)
        SELECT %(c)s, j.user_id, {local_day_sql("j.at", span, p)},
               CASE WHEN {referred} THEN TRUE ELSE FALSE END,
               CASE WHEN {referred} THEN i.created_by_id END
          FROM members_membershipevent j
          LEFT JOIN members_invite i ON i.id = j.invite_id
         WHERE j.community_id = %(c)s AND j.kind = 'joined' AND {in_span("j.at")}
           AND {not_bot("j.user_id", bots)} AND j.role NOT IN {STAFF}
           AND NOT EXISTS (
               SELECT 1 FROM members_membershipevent j2
                WHERE j2.community_id = %(c)s AND j2.user_id = j.user_id AND j2.kind = 'joined'
                  AND (j2.at < j.at OR (j2.at = j.at AND j2.id < j.id)))
        """,
            p,
        )
    )

    # Top contributors: posts on the day they count for (docs/metrics.md §4: a held post on its
    # approval day; rejected and undecided ones never), in two index range scans: posts written in
    # the span, and the (rare) posts written earlier and approved in it. Plus referred joins.
    published = "COALESCE(p.published_at, p.created_at)"
    _exec(
        *_sql(
            f"""
        INSERT INTO metrics_contributorday (community_id, user_id, day, posts, referred_joins)
        SELECT %(c)s, x.user_id, {ordinal_date_sql("x.day")}, SUM(x.posts), SUM(x.refs) FROM (
            SELECT p.author_id AS user_id, {local_day_sql(published, span, p)} AS day,
                   1 AS posts, 0 AS refs
              FROM communities_post p
             WHERE p.community_id = %(c)s AND {in_span("p.created_at")} AND {published} < %(hi)s
               AND p.status = 'published' AND {not_bot("p.author_id", bots)}
               AND {member_at("p.author_id", "p.created_at")}
            UNION ALL
            SELECT p.author_id, {local_day_sql(published, span, p)}, 1, 0
              FROM communities_post p
             WHERE p.community_id = %(c)s AND p.created_at < %(lo)s AND {in_span(published)}
               AND p.id IN (
                   SELECT pe.post_id FROM communities_postevent pe
                    WHERE pe.kind = 'approved' AND {in_span("pe.at")})
               AND p.status = 'published' AND {not_bot("p.author_id", bots)}
               AND {member_at("p.author_id", "p.created_at")}
            UNION ALL
            SELECT e.inviter_id, e.day, 0, 1 FROM metrics_entrant e
             WHERE e.community_id = %(c)s AND e.day >= %(lo_ord)s AND e.day <= %(hi_ord)s
               AND e.referred AND e.inviter_id IS NOT NULL
        ) x GROUP BY x.user_id, x.day
        """,
            p,
        )
    )

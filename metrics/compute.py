"""Set-based SQL for the METRICS.md definitions: one function per metric family.

The functions at the top work on one community and one local day ``D`` (``DayWindow``) and are
the plain reading of the definitions; the ``*_span`` functions at the bottom compute a run of
consecutive days at once (``Span``) and are what the jobs use: they give the same values (see
tests/metrics/test_hand_computed.py) in a few queries per run instead of a dozen per day. Local
days are turned into UTC instants here in Python, so the SQL only compares timestamps and
integers and runs unchanged on PostgreSQL and SQLite. Local-day bucketing that needs the whole history
(activity, entrants) is materialized per day in ``metrics_activeday`` / ``metrics_entrant``,
with the day as an integer ordinal so that windows like J+30 … J+36 are integer arithmetic.

Point in time (METRICS.md §1.2): every query only looks at events strictly before the local
midnight that ends D, and reads history tables (MembershipEvent, PostEvent) rather than current
state, so a later removal, restore, leave or role change never changes D.
"""

# S608: the SQL below is assembled only from constant fragments of this module; every value is a
# bound parameter.
# ruff: noqa: S608
from __future__ import annotations

import functools
import statistics
from collections.abc import Iterable, Sequence
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


# --- Materialized day tables ---------------------------------------------------------------------


def materialize_day(w: DayWindow) -> None:
    """Rewrite the derived rows of day D: who was active, who entered, who contributed."""
    p = _base(w)
    bots = w.bots
    for table in ("metrics_activeday", "metrics_entrant"):
        _exec(f"DELETE FROM {table} WHERE community_id = %(c)s AND day = %(ord)s", p)
    _exec("DELETE FROM metrics_contributorday WHERE community_id = %(c)s AND day = %(day)s", p)

    # Active on D (METRICS.md §2): visits, posts (threads are opening posts), reactions,
    # invites created, joins — each while a member; bots never.
    _exec(
        f"""
        INSERT INTO metrics_activeday (community_id, user_id, day)
        SELECT %(c)s, x.user_id, %(ord)s FROM (
            SELECT p.author_id AS user_id FROM communities_post p
             WHERE p.community_id = %(c)s AND p.created_at >= %(start)s AND p.created_at < %(end)s
               AND {member_at("p.author_id", "p.created_at")}
            UNION
            SELECT r.user_id FROM communities_reaction r JOIN communities_post rp ON rp.id = r.post_id
             WHERE rp.community_id = %(c)s AND r.created_at >= %(start)s AND r.created_at < %(end)s
               AND {member_at("r.user_id", "r.created_at")}
            UNION
            SELECT i.created_by_id FROM members_invite i
             WHERE i.community_id = %(c)s AND i.created_at >= %(start)s AND i.created_at < %(end)s
               AND {member_at("i.created_by_id", "i.created_at")}
            UNION
            SELECT j.user_id FROM members_membershipevent j
             WHERE j.community_id = %(c)s AND j.kind = 'joined'
               AND j.at >= %(start)s AND j.at < %(end)s
            UNION
            SELECT v.user_id FROM metrics_visit v
             WHERE v.community_id = %(c)s AND v.day = %(day)s AND {member_at("v.user_id", "v.at")}
        ) x
        WHERE {not_bot("x.user_id", bots)}
        """,
        p,
    )

    # New members (§6): first-ever join, with a member (non-staff) role, by a person. Referred when
    # the invite used was created by a non-staff member (each use of a multi-use link counts).
    referred = (
        "i.id IS NOT NULL AND NOT i.created_by_staff"
        f" AND ({not_bot('i.created_by_id', bots)} OR i.created_by_id IS NULL)"
    )
    _exec(
        f"""
        INSERT INTO metrics_entrant (community_id, user_id, day, referred, inviter_id)
        SELECT %(c)s, j.user_id, %(ord)s,
               CASE WHEN {referred} THEN TRUE ELSE FALSE END,
               CASE WHEN {referred} THEN i.created_by_id END
          FROM members_membershipevent j
          LEFT JOIN members_invite i ON i.id = j.invite_id
         WHERE j.community_id = %(c)s AND j.kind = 'joined' AND j.at >= %(start)s AND j.at < %(end)s
           AND {not_bot("j.user_id", bots)} AND j.role NOT IN {STAFF}
           AND NOT EXISTS (
               SELECT 1 FROM members_membershipevent j2
                WHERE j2.community_id = %(c)s AND j2.user_id = j.user_id AND j2.kind = 'joined'
                  AND (j2.at < j.at OR (j2.at = j.at AND j2.id < j.id)))
        """,
        p,
    )

    # Top contributors / inviters: posts written on D (not rejected) and referred joins on D.
    _exec(
        f"""
        INSERT INTO metrics_contributorday (community_id, user_id, day, posts, referred_joins)
        SELECT %(c)s, x.user_id, %(day)s, SUM(x.posts), SUM(x.refs) FROM (
            SELECT p.author_id AS user_id, 1 AS posts, 0 AS refs
              FROM communities_post p
             WHERE p.community_id = %(c)s AND p.created_at >= %(start)s AND p.created_at < %(end)s
               AND p.status <> 'rejected' AND {not_bot("p.author_id", bots)}
               AND {member_at("p.author_id", "p.created_at")}
            UNION ALL
            SELECT e.inviter_id, 0, 1 FROM metrics_entrant e
             WHERE e.community_id = %(c)s AND e.day = %(ord)s AND e.referred AND e.inviter_id IS NOT NULL
        ) x GROUP BY x.user_id
        """,
        p,
    )


# --- Families --------------------------------------------------------------------------------------


def engagement(w: DayWindow, previous_stickiness: Sequence[float | None]) -> dict[str, Any]:
    """§3. ``previous_stickiness``: stored daily stickiness of D−29 … D−1 (null where mau = 0)."""
    p = _base(w)
    dau, wau, mau = _one(
        """
        SELECT
          COUNT(DISTINCT CASE WHEN day = %(ord)s THEN user_id END),
          COUNT(DISTINCT CASE WHEN day >= %(ord)s - 6 THEN user_id END),
          COUNT(DISTINCT user_id)
        FROM metrics_activeday
        WHERE community_id = %(c)s AND day > %(ord)s - 30 AND day <= %(ord)s
        """,
        p,
    )
    # Membership and role at the end of D: the latest join/leave/ban/role change before it.
    members, staff = _one(
        f"""
        SELECT COUNT(*), COALESCE(SUM(CASE WHEN last.role IN {STAFF} THEN 1 ELSE 0 END), 0) FROM (
            SELECT e.kind, e.role,
                   ROW_NUMBER() OVER (PARTITION BY e.user_id ORDER BY e.at DESC, e.id DESC) AS rn
              FROM members_membershipevent e
             WHERE e.community_id = %(c)s AND e.at < %(end)s AND e.kind <> 'unbanned'
               AND {not_bot("e.user_id", w.bots)}
        ) last
        WHERE last.rn = 1 AND last.kind IN ('joined', 'role_changed')
        """,
        p,
    )
    return engagement_values(dau, wau, mau, members, staff, previous_stickiness)


def engagement_values(
    dau: int, wau: int, mau: int, members: int, staff: int, previous_stickiness: Sequence[float | None]
) -> dict[str, Any]:
    stickiness = ratio(dau, mau)
    series = [s for s in (*previous_stickiness, stickiness) if s is not None]
    return {
        "dau": dau,
        "wau": wau,
        "mau": mau,
        "stickiness": stickiness,
        "stickiness_avg_30d": (sum(series) / len(series)) if series else None,
        "members": members,
        "regular_members": members - staff,
    }


def content(w: DayWindow, mau: int) -> dict[str, Any]:
    """§4 for one day (the range computation uses ``content_span``, which agrees)."""
    return content_values(*_content_counts(w), mau)


def content_values(posts: int, member_posts: int, mau: int) -> dict[str, Any]:
    return {
        "posts_30d": posts,
        "member_posts_30d": member_posts,
        "posts_per_active_member_30d": ratio(posts, mau),
        "member_content_share_30d": ratio(member_posts, posts),
    }


def _content_counts(w: DayWindow, only: tuple[int, ...] | None = None) -> tuple[int, int]:
    """(posts_30d, member_posts_30d) of day D, optionally only in the threads ``only``.

    A held post counts from its approval (``published_at``); approvals are found through their
    PostEvent so that only the window's posts are read."""
    p = _base(w)
    restrict = "" if only is None else f" AND {_in_ids('p.thread_id', only)}"
    # Two index range scans rather than one OR: posts written in the window, plus the (rare) posts
    # written earlier whose approval falls in the window.
    counted = f"""
        SELECT COUNT(*), COALESCE(SUM(CASE WHEN p.author_staff THEN 0 ELSE 1 END), 0)
          FROM communities_post p
         WHERE p.community_id = %(c)s AND {{where}}
           AND COALESCE(p.published_at, p.created_at) >= %(s30)s
           AND {not_bot("p.author_id", w.bots)}
           AND {live("p")}
           AND {member_at("p.author_id", "p.created_at")}{restrict}
        """
    written = _one(
        with_ctes(removals=True) + counted.format(where="p.created_at >= %(s30)s AND p.created_at < %(end)s"),
        p,
    )
    approved = _one(
        with_ctes(removals=True)
        + counted.format(
            where="""p.created_at < %(s30)s AND p.id IN (
                SELECT pe.post_id FROM communities_postevent pe
                 WHERE pe.kind = 'approved' AND pe.at >= %(s30)s AND pe.at < %(end)s)"""
        ),
        p,
    )
    return int(written[0]) + int(approved[0]), int(written[1]) + int(approved[1])


def judged_threads(
    w: DayWindow, only: tuple[int, ...] | None = None
) -> list[tuple[int, datetime, int, datetime | None]]:
    """§5. (thread id, created, replies, first reply time) of the threads judged on D, optionally
    only among the threads ``only``."""
    p = _base(w)
    restrict = "" if only is None else f" AND {_in_ids('t.id', only)}"
    p["j0"] = _dt(w.start_of(w.day - timedelta(days=36)))
    p["j1"] = _dt(w.start_of(w.day - timedelta(days=6)))
    judged = f"""
        {with_ctes(removals=True)},
        judged AS (
            SELECT t.id, t.created_at, t.author_id
              FROM communities_thread t
              JOIN communities_post o ON o.thread_id = t.id AND o.is_opening
             WHERE t.community_id = %(c)s AND t.kind = 'discussion'
               AND t.created_at >= %(j0)s AND t.created_at < %(j1)s
               AND {not_bot("t.author_id", w.bots)}
               AND {live("o")}
               AND {member_at("t.author_id", "t.created_at")}{restrict})"""
    threads = _rows(judged + " SELECT id, created_at FROM judged", p)
    # Replies per judged thread, aggregated in SQL, merged with the thread list by id (joining the
    # two in one statement makes planners nest-loop over every thread × reply).
    replies = _rows(
        judged
        + f"""
        SELECT r.thread_id, COUNT(*),
               MIN(CASE WHEN r.author_id <> j.author_id THEN COALESCE(r.published_at, r.created_at) END)
          FROM communities_post r JOIN judged j ON j.id = r.thread_id
         WHERE r.community_id = %(c)s AND r.created_at >= %(j0)s AND r.created_at < %(end)s
           AND NOT r.is_opening AND {not_bot("r.author_id", w.bots)}
           AND {published_by_end("r")} AND {not_removed("r")}
           AND {member_at("r.author_id", "r.created_at")}
         GROUP BY r.thread_id
        """,
        p,
    )
    by_thread = {r[0]: (int(r[1]), _parse_dt(r[2]) if r[2] is not None else None) for r in replies}
    return [(t[0], _parse_dt(t[1]), *by_thread.get(t[0], (0, None))) for t in threads]


def threads(w: DayWindow) -> dict[str, Any]:
    """§5 for one day (the range computation uses ``judged_threads_span``, which agrees)."""
    return thread_values(judged_threads(w))


def thread_values(judged: Sequence[tuple[int, datetime, int, datetime | None]]) -> dict[str, Any]:
    eligible = len(judged)
    replies = sum(r[2] for r in judged)
    waits = [(first - created).total_seconds() / 3600 for _, created, _, first in judged if first]
    return {
        "threads_eligible": eligible,
        "replies_per_thread": ratio(replies, eligible),
        "no_reply_share": ratio(eligible - len(waits), eligible),
        # statistics.median: mean of the two middle values for an even count.
        "ttfr_median_hours": statistics.median(waits) if waits else None,
    }


def growth(w: DayWindow, regular_members: int) -> dict[str, Any]:
    """§6. Invites: member invites are created by non-staff members (bots excluded)."""
    p = _base(w)
    new, referred = _one(
        """
        SELECT COUNT(*), COALESCE(SUM(CASE WHEN referred THEN 1 ELSE 0 END), 0)
          FROM metrics_entrant WHERE community_id = %(c)s AND day > %(ord)s - 30 AND day <= %(ord)s
        """,
        p,
    )
    (invites,) = _one(
        f"""
        SELECT COUNT(*) FROM members_invite i
         WHERE i.community_id = %(c)s AND i.created_at >= %(s30)s AND i.created_at < %(end)s
           AND NOT i.created_by_staff AND ({not_bot("i.created_by_id", w.bots)} OR i.created_by_id IS NULL)
        """,
        p,
    )
    return growth_values(new, referred, invites, regular_members)


def growth_values(new: int, referred: int, invites: int, regular_members: int) -> dict[str, Any]:
    return {
        "new_members_30d": new,
        "referred_joins_30d": referred,
        "referral_rate_30d": ratio(referred, new),
        "invites_sent_30d": invites,
        "invites_per_member_30d": ratio(invites, regular_members),
        "invite_conversion_30d": ratio(referred, invites),
        "k_factor_30d": ratio(referred, regular_members),
    }


def _retained_sql(n: int) -> str:
    return f"""CASE WHEN EXISTS (
        SELECT 1 FROM metrics_activeday a
         WHERE a.community_id = %(c)s AND a.user_id = e.user_id
           AND a.day >= e.day + {n} AND a.day <= e.day + {n + 6}) THEN 1 ELSE 0 END"""


def retention(w: DayWindow) -> dict[str, Any]:
    """§7 daily headline: entrants with J in D−N−33 … D−N−6, retained if active in J+N … J+N+6."""
    p = _base(w)
    out: dict[str, Any] = {}
    for n in (30, 60, 90):
        size, kept = _one(
            f"""
            SELECT COUNT(*), COALESCE(SUM({_retained_sql(n)}), 0) FROM metrics_entrant e
             WHERE e.community_id = %(c)s AND e.day >= %(ord)s - {n + 33} AND e.day <= %(ord)s - {n + 6}
            """,
            p,
        )
        out[f"retention_{n}"] = ratio(kept, size)
        out[f"retention_{n}_eligible"] = size
    return out


def cohorts(community_id: int, as_of: date) -> list[dict[str, Any]]:
    """§7 cohort table: ISO weeks (Monday ordinal) of J, with retained counts per bracket; a
    bracket is null until week start + N + 12 <= as-of (its last member's window has closed)."""
    p = {"c": community_id, "a": as_of.toordinal()}
    rows = _rows(
        f"""
        SELECT e.day - ((e.day - 1) %% 7) AS week, COUNT(*),
               SUM({_retained_sql(30)}), SUM({_retained_sql(60)}), SUM({_retained_sql(90)})
          FROM metrics_entrant e
         WHERE e.community_id = %(c)s AND e.day <= %(a)s
         GROUP BY e.day - ((e.day - 1) %% 7)
         ORDER BY 1
        """,
        p,
    )
    out = []
    for week, size, *kept in rows:
        row: dict[str, Any] = {"week_start": date.fromordinal(int(week)), "size": int(size)}
        for n, k in zip((30, 60, 90), kept, strict=True):
            final = int(week) + n + 12 <= p["a"]
            row[f"retained_{n}"] = int(k) if final else None
            row[f"retention_{n}"] = ratio(int(k), int(size)) if final else None
        out.append(row)
    return out


def ritual_threads(w: DayWindow) -> list[tuple[int, str, datetime, int, int]]:
    """Ritual threads posted in the last 37 days with their replies and distinct participants
    (people, while members, live at the end of D)."""
    p = _base(w)
    p["r0"] = _dt(w.start_of(w.day - timedelta(days=36)))
    rows = _rows(
        f"""
        {with_ctes(removals=True)},
        rituals AS (
            SELECT t.id, t.title, t.created_at FROM communities_thread t
             WHERE t.community_id = %(c)s AND t.kind = 'ritual'
               AND t.created_at >= %(r0)s AND t.created_at < %(end)s),
        replies AS (
            SELECT r.thread_id, r.author_id FROM communities_post r
              JOIN rituals rt ON rt.id = r.thread_id
             WHERE NOT r.is_opening AND {not_bot("r.author_id", w.bots)}
               AND {live("r")} AND {member_at("r.author_id", "r.created_at")})
        SELECT rt.id, rt.title, rt.created_at, COUNT(rp.thread_id), COUNT(DISTINCT rp.author_id)
          FROM rituals rt LEFT JOIN replies rp ON rp.thread_id = rt.id
         GROUP BY rt.id, rt.title, rt.created_at
        """,
        p,
    )
    return [(r[0], r[1], _parse_dt(r[2]), int(r[3]), int(r[4])) for r in rows]


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

    # Active (METRICS.md §2), as in materialize_day.
    _exec(
        *_sql(
            f"""
        INSERT INTO metrics_activeday (community_id, user_id, day)
        SELECT DISTINCT %(c)s, x.user_id, x.day FROM (
            SELECT p.author_id AS user_id, {local_day_sql("p.created_at", span, p)} AS day
              FROM communities_post p
             WHERE p.community_id = %(c)s AND {in_span("p.created_at")}
               AND {member_at("p.author_id", "p.created_at")}
            UNION ALL
            SELECT r.user_id, {local_day_sql("r.created_at", span, p)}
              -- CROSS JOIN: SQLite then reads the span's reactions by time instead of every
              -- post of the community (PostgreSQL plans it as the inner join it is).
              FROM communities_reaction r CROSS JOIN communities_post rp
             WHERE rp.id = r.post_id AND rp.community_id = %(c)s AND {in_span("r.created_at")}
               AND {member_at("r.user_id", "r.created_at")}
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

    _exec(
        *_sql(
            f"""
        INSERT INTO metrics_contributorday (community_id, user_id, day, posts, referred_joins)
        SELECT %(c)s, x.user_id, {ordinal_date_sql("x.day")}, SUM(x.posts), SUM(x.refs) FROM (
            SELECT p.author_id AS user_id, {local_day_sql("p.created_at", span, p)} AS day,
                   1 AS posts, 0 AS refs
              FROM communities_post p
             WHERE p.community_id = %(c)s AND {in_span("p.created_at")}
               AND p.status <> 'rejected' AND {not_bot("p.author_id", bots)}
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


def special_threads(community_id: int) -> tuple[int, ...]:
    """Threads whose liveness can depend on D: any post in them was ever removed, restored or
    approved from review, or the thread itself carries a removal."""
    rows = _rows(
        """
        SELECT p.thread_id FROM communities_post p
         WHERE p.community_id = %(c)s AND p.removed_at IS NOT NULL
        UNION
        SELECT p.thread_id FROM communities_postevent pe JOIN communities_post p ON p.id = pe.post_id
         WHERE pe.kind IN ('removed', 'restored', 'approved') AND p.community_id = %(c)s
        UNION
        SELECT t.id FROM communities_thread t WHERE t.community_id = %(c)s AND t.removed_at IS NOT NULL
        """,
        {"c": community_id},
    )
    return tuple(sorted(int(r[0]) for r in rows))


def _in_ids(col: str, ids: tuple[int, ...], *, negate: bool = False) -> str:
    if not ids:
        return "1 = 1" if negate else "1 = 0"
    return f"{col} {'NOT IN' if negate else 'IN'} ({', '.join(str(int(i)) for i in ids)})"


def content_span(span: Span, special: tuple[int, ...]) -> dict[date, tuple[int, int]]:
    """§4 counts (posts_30d, member_posts_30d) for every day of the span.

    Posts of ordinary threads are live from publication on, so they are counted once per
    (local date written, local date published, staff) and summed over each day's 30-day window;
    the posts of ``special`` threads go through the per-day query."""
    p = _span_params(span)
    p["lo30"] = _dt(span.start_of(span.first - timedelta(days=29)))
    rows = _rows(
        *_sql(
            f"""
        SELECT {local_day_sql("p.created_at", span, p)},
               {local_day_sql("COALESCE(p.published_at, p.created_at)", span, p)},
               CASE WHEN p.author_staff THEN 1 ELSE 0 END, COUNT(*)
          FROM communities_post p
         WHERE p.community_id = %(c)s AND p.created_at >= %(lo30)s AND p.created_at < %(hi)s
           AND p.status = 'published' AND {not_bot("p.author_id", span.bots)}
           AND {_in_ids("p.thread_id", special, negate=True)}
           AND {member_at("p.author_id", "p.created_at")}
         GROUP BY 1, 2, 3
        """,
            p,
        )
    )
    out: dict[date, tuple[int, int]] = {}
    for d in span.days():
        o = d.toordinal()
        posts = member_posts = 0
        for a, b, staff, n in rows:
            if o - 29 <= a <= o and o - 29 <= b <= o:
                posts += int(n)
                member_posts += 0 if staff else int(n)
        if special:
            sp, smp = _content_counts(span.window(d), special)
            posts, member_posts = posts + sp, member_posts + smp
        out[d] = (posts, member_posts)
    return out


def judged_threads_span(
    span: Span, special: tuple[int, ...]
) -> dict[date, list[tuple[int, datetime, int, datetime | None]]]:
    """§5 judged threads of every day of the span (as ``judged_threads`` gives for one day).

    Ordinary threads: their opening post and replies are live from publication on, so replies are
    aggregated once per (thread, local date written, local date published) and each day takes the
    groups its window allows. ``special`` threads go through the per-day query."""
    p = _span_params(span)
    p["j0"] = _dt(span.start_of(span.first - timedelta(days=36)))
    p["j1"] = _dt(span.start_of(span.last - timedelta(days=6)))
    bots = span.bots
    ordinary = _in_ids("t.id", special, negate=True)
    threads = _rows(
        *_sql(
            f"""
        SELECT t.id, t.created_at, {local_day_sql("t.created_at", span, p)},
               {local_day_sql("COALESCE(o.published_at, o.created_at)", span, p)}
          FROM communities_thread t
          JOIN communities_post o ON o.thread_id = t.id AND o.is_opening
         WHERE t.community_id = %(c)s AND t.kind = 'discussion'
           AND t.created_at >= %(j0)s AND t.created_at < %(j1)s
           AND {not_bot("t.author_id", bots)} AND o.status = 'published' AND {ordinary}
           AND {member_at("t.author_id", "t.created_at")}
        """,
            p,
        )
    )
    replies = _rows(
        *_sql(
            f"""
        SELECT r.thread_id, {local_day_sql("r.created_at", span, p)},
               {local_day_sql("COALESCE(r.published_at, r.created_at)", span, p)}, COUNT(*),
               MIN(CASE WHEN r.author_id <> t.author_id THEN COALESCE(r.published_at, r.created_at) END)
          FROM communities_thread t
          JOIN communities_post r ON r.thread_id = t.id
         WHERE t.community_id = %(c)s AND t.kind = 'discussion'
           AND t.created_at >= %(j0)s AND t.created_at < %(j1)s AND {ordinary}
           AND r.community_id = %(c)s AND r.created_at >= %(j0)s AND r.created_at < %(hi)s
           AND NOT r.is_opening AND r.status = 'published' AND {not_bot("r.author_id", bots)}
           AND {member_at("r.author_id", "r.created_at")}
         GROUP BY 1, 2, 3
        """,
            p,
        )
    )
    groups: dict[int, list[tuple[int, int, int, datetime | None]]] = {}
    for tid, a, b, n, first in replies:
        groups.setdefault(tid, []).append(
            (int(a), int(b), int(n), _parse_dt(first) if first is not None else None)
        )
    by_created: dict[int, list[tuple[int, datetime, int]]] = {}
    for tid, created, c, ob in threads:
        by_created.setdefault(int(c), []).append((tid, _parse_dt(created), int(ob)))
    out: dict[date, list[tuple[int, datetime, int, datetime | None]]] = {}
    for d in span.days():
        o = d.toordinal()
        judged: list[tuple[int, datetime, int, datetime | None]] = []
        for c in range(o - 36, o - 6):
            for tid, created, ob in by_created.get(c, ()):
                if ob > o:
                    continue
                count, first = 0, None
                for a, b, n, f in groups.get(tid, ()):
                    if o - 36 <= a <= o and b <= o:
                        count += n
                        if f is not None and (first is None or f < first):
                            first = f
                judged.append((tid, created, count, first))
        if special:
            judged += judged_threads(span.window(d), only=special)
        out[d] = judged
    return out


def _prefix(deltas: Iterable[tuple[Any, ...]], days: list[date], column: int) -> dict[date, int]:
    """Running sums of ``row[column]`` over rows ``(ordinal, …)``, read at each of ``days``."""
    events = sorted((int(r[0]), int(r[column] or 0)) for r in deltas if r[0] is not None)
    out: dict[date, int] = {}
    total, i = 0, 0
    for d in days:
        o = d.toordinal()
        while i < len(events) and events[i][0] <= o:
            total += events[i][1]
            i += 1
        out[d] = total
    return out


def engagement_span(span: Span) -> dict[date, tuple[int, int, int, int, int]]:
    """§3 counts (dau, wau, mau, members, staff) of every day of the span.

    Distinct people over a window from the active days: each active day of a person covers the
    days up to (not including) their next active day or the end of the window, whichever comes
    first, so the covers of one person never overlap and plain running sums count them once.
    Members and staff at the end of D: each membership event holds from its local date until the
    local date of the person's next event."""
    p = _span_params(span)
    days = span.days()
    active = _rows(
        """
        WITH a AS (
            SELECT day, LEAD(day) OVER (PARTITION BY user_id ORDER BY day) AS nxt
              FROM metrics_activeday
             WHERE community_id = %(c)s AND day >= %(lo_ord)s - 29 AND day <= %(hi_ord)s)
        SELECT ev, SUM(d1), SUM(d7), SUM(d30) FROM (
            SELECT day AS ev, 1 AS d1, 1 AS d7, 1 AS d30 FROM a
            UNION ALL
            SELECT day + 1, -1, 0, 0 FROM a
            UNION ALL
            SELECT CASE WHEN nxt IS NOT NULL AND nxt < day + 7 THEN nxt ELSE day + 7 END, 0, -1, 0 FROM a
            UNION ALL
            SELECT CASE WHEN nxt IS NOT NULL AND nxt < day + 30 THEN nxt ELSE day + 30 END, 0, 0, -1 FROM a
        ) x GROUP BY ev
        """,
        p,
    )
    dau, wau, mau = (_prefix(active, days, k) for k in (1, 2, 3))
    member_sql = f"""
        WITH e AS (
            SELECT e.kind, e.role, {local_day_sql("e.at", span, p)} AS b,
                   LEAD({local_day_sql("e.at", span, p)})
                       OVER (PARTITION BY e.user_id ORDER BY e.at, e.id) AS nb
              FROM members_membershipevent e
             WHERE e.community_id = %(c)s AND e.at < %(hi)s AND e.kind <> 'unbanned'
               AND {not_bot("e.user_id", span.bots)})
        SELECT ev, SUM(m), SUM(s) FROM (
            SELECT b AS ev, 1 AS m, CASE WHEN role IN {STAFF} THEN 1 ELSE 0 END AS s
              FROM e WHERE kind IN ('joined', 'role_changed')
            UNION ALL
            SELECT nb, -1, CASE WHEN role IN {STAFF} THEN -1 ELSE 0 END
              FROM e WHERE kind IN ('joined', 'role_changed') AND nb IS NOT NULL
        ) x GROUP BY ev
        """
    membership = _rows(*_sql(member_sql, p))
    members, staff = _prefix(membership, days, 1), _prefix(membership, days, 2)
    return {d: (dau[d], wau[d], mau[d], members[d], staff[d]) for d in days}


def growth_span(span: Span) -> dict[date, tuple[int, int, int]]:
    """§6 counts (new members, referred joins, member invites) over each day's last 30 days."""
    p = _span_params(span)
    p["lo30"] = _dt(span.start_of(span.first - timedelta(days=29)))
    entrants = _rows(
        """
        SELECT day, COUNT(*), SUM(CASE WHEN referred THEN 1 ELSE 0 END) FROM metrics_entrant
         WHERE community_id = %(c)s AND day > %(lo_ord)s - 30 AND day <= %(hi_ord)s GROUP BY day
        """,
        p,
    )
    invites = _rows(
        *_sql(
            f"""
        SELECT {local_day_sql("i.created_at", span, p)}, COUNT(*) FROM members_invite i
         WHERE i.community_id = %(c)s AND i.created_at >= %(lo30)s AND i.created_at < %(hi)s
           AND NOT i.created_by_staff AND ({not_bot("i.created_by_id", span.bots)} OR i.created_by_id IS NULL)
         GROUP BY 1
        """,
            p,
        )
    )
    out: dict[date, tuple[int, int, int]] = {}
    for d in span.days():
        o = d.toordinal()
        new = sum(int(n) for day, n, _ in entrants if o - 30 < day <= o)
        referred = sum(int(r or 0) for day, _, r in entrants if o - 30 < day <= o)
        sent = sum(int(n) for day, n in invites if o - 30 < day <= o)
        out[d] = (new, referred, sent)
    return out


def retention_span(span: Span) -> dict[date, dict[str, Any]]:
    """§7 daily headline of every day of the span: entrants are grouped by J with their retained
    counts, and each day pools the 28 join dates its window allows."""
    p = _span_params(span)
    rows = _rows(
        f"""
        SELECT e.day, COUNT(*), SUM({_retained_sql(30)}), SUM({_retained_sql(60)}), SUM({_retained_sql(90)})
          FROM metrics_entrant e
         WHERE e.community_id = %(c)s AND e.day >= %(lo_ord)s - 123 AND e.day <= %(hi_ord)s - 36
         GROUP BY e.day
        """,
        p,
    )
    out: dict[date, dict[str, Any]] = {}
    for d in span.days():
        o = d.toordinal()
        values: dict[str, Any] = {}
        for k, n in enumerate((30, 60, 90), start=2):
            pooled = [r for r in rows if o - n - 33 <= r[0] <= o - n - 6]
            size = sum(int(r[1]) for r in pooled)
            kept = sum(int(r[k] or 0) for r in pooled)
            values[f"retention_{n}"] = ratio(kept, size)
            values[f"retention_{n}_eligible"] = size
        out[d] = values
    return out

"""Set-based SQL for the METRICS.md definitions: one function per metric family.

Every function works on one community and one local day ``D``. Local days are turned into UTC
instants here in Python (``DayWindow``), so the SQL only compares timestamps and integers and
runs unchanged on PostgreSQL and SQLite. Local-day bucketing that needs the whole history
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
    """SQL: the person was a member of community %(c)s at instant ``at_col``.

    A membership runs from a join (inclusive) to the next leave or ban (exclusive).
    """
    return f"""EXISTS (
        SELECT 1 FROM members_membershipevent mj
        WHERE mj.community_id = %(c)s AND mj.user_id = {user_col} AND mj.kind = 'joined'
          AND mj.at <= {at_col}
          AND NOT EXISTS (
            SELECT 1 FROM members_membershipevent ml
            WHERE ml.community_id = %(c)s AND ml.user_id = {user_col}
              AND ml.kind IN ('left', 'banned') AND ml.at > mj.at AND ml.at <= {at_col}))"""


def not_removed_at(alias: str) -> str:
    """SQL: post ``alias`` is not removed at %(end)s, from its removal/restore history.

    Posts with no history at all fall back to their current ``removed_at``.
    """
    return f"""COALESCE(
        (SELECT pe.kind FROM communities_postevent pe
          WHERE pe.post_id = {alias}.id AND pe.kind IN ('removed', 'restored') AND pe.at < %(end)s
          ORDER BY pe.at DESC, pe.id DESC LIMIT 1),
        CASE WHEN {alias}.removed_at IS NOT NULL AND {alias}.removed_at < %(end)s
              AND NOT EXISTS (SELECT 1 FROM communities_postevent pe2
                              WHERE pe2.post_id = {alias}.id AND pe2.kind IN ('removed', 'restored'))
             THEN 'removed' ELSE 'restored' END) = 'restored'"""


def published_by_end(alias: str) -> str:
    """SQL: post ``alias`` was published (held posts: approved) before %(end)s."""
    return f"({alias}.status = 'published' AND COALESCE({alias}.published_at, {alias}.created_at) < %(end)s)"


def live(alias: str) -> str:
    """SQL: post ``alias`` is live at %(end)s, its thread's opening post included."""
    return f"""({published_by_end(alias)} AND {not_removed_at(alias)}
        AND ({alias}.is_opening OR EXISTS (
            SELECT 1 FROM communities_post op WHERE op.thread_id = {alias}.thread_id AND op.is_opening
              AND {published_by_end("op")} AND {not_removed_at("op")})))"""


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
               AND p.author_id IS NOT NULL AND {member_at("p.author_id", "p.created_at")}
            UNION
            SELECT r.user_id FROM communities_reaction r JOIN communities_post rp ON rp.id = r.post_id
             WHERE rp.community_id = %(c)s AND r.created_at >= %(start)s AND r.created_at < %(end)s
               AND {member_at("r.user_id", "r.created_at")}
            UNION
            SELECT i.created_by_id FROM members_invite i
             WHERE i.community_id = %(c)s AND i.created_at >= %(start)s AND i.created_at < %(end)s
               AND i.created_by_id IS NOT NULL AND {member_at("i.created_by_id", "i.created_at")}
            UNION
            SELECT j.user_id FROM members_membershipevent j
             WHERE j.community_id = %(c)s AND j.kind = 'joined'
               AND j.at >= %(start)s AND j.at < %(end)s
            UNION
            SELECT v.user_id FROM metrics_visit v
             WHERE v.community_id = %(c)s AND v.day = %(day)s AND {member_at("v.user_id", "v.at")}
        ) x JOIN members_user u ON u.id = x.user_id
        WHERE NOT u.is_bot
        """,
        p,
    )

    # New members (§6): first-ever join, with a member (non-staff) role, by a person. Referred when
    # the invite used was created by a non-staff member (each use of a multi-use link counts).
    _exec(
        f"""
        INSERT INTO metrics_entrant (community_id, user_id, day, referred, inviter_id)
        SELECT %(c)s, j.user_id, %(ord)s,
               CASE WHEN i.id IS NOT NULL AND NOT i.created_by_staff
                         AND (iu.id IS NULL OR NOT iu.is_bot) THEN TRUE ELSE FALSE END,
               CASE WHEN i.id IS NOT NULL AND NOT i.created_by_staff
                         AND (iu.id IS NULL OR NOT iu.is_bot) THEN i.created_by_id END
          FROM members_membershipevent j
          JOIN members_user u ON u.id = j.user_id
          LEFT JOIN members_invite i ON i.id = j.invite_id
          LEFT JOIN members_user iu ON iu.id = i.created_by_id
         WHERE j.community_id = %(c)s AND j.kind = 'joined' AND j.at >= %(start)s AND j.at < %(end)s
           AND NOT u.is_bot AND j.role NOT IN {STAFF}
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
              FROM communities_post p JOIN members_user u ON u.id = p.author_id
             WHERE p.community_id = %(c)s AND p.created_at >= %(start)s AND p.created_at < %(end)s
               AND p.status <> 'rejected' AND NOT u.is_bot
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
              FROM members_membershipevent e JOIN members_user u ON u.id = e.user_id
             WHERE e.community_id = %(c)s AND e.at < %(end)s AND e.kind <> 'unbanned' AND NOT u.is_bot
        ) last
        WHERE last.rn = 1 AND last.kind IN ('joined', 'role_changed')
        """,
        p,
    )
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
    """§4. A held post counts from its approval (``published_at``)."""
    p = _base(w)
    posts, member_posts = _one(
        f"""
        SELECT COUNT(*), COALESCE(SUM(CASE WHEN p.author_staff THEN 0 ELSE 1 END), 0)
          FROM communities_post p JOIN members_user u ON u.id = p.author_id
         WHERE p.community_id = %(c)s AND p.created_at < %(end)s
           AND COALESCE(p.published_at, p.created_at) >= %(s30)s
           AND NOT u.is_bot
           AND {live("p")}
           AND {member_at("p.author_id", "p.created_at")}
        """,
        p,
    )
    return {
        "posts_30d": posts,
        "member_posts_30d": member_posts,
        "posts_per_active_member_30d": ratio(posts, mau),
        "member_content_share_30d": ratio(member_posts, posts),
    }


def judged_threads(w: DayWindow) -> list[tuple[int, datetime, int, datetime | None]]:
    """§5. (thread id, created, replies, first reply time) of the threads judged on D."""
    p = _base(w)
    p["j0"] = _dt(w.start_of(w.day - timedelta(days=36)))
    p["j1"] = _dt(w.start_of(w.day - timedelta(days=6)))
    reply = f"""FROM communities_post r JOIN members_user ru ON ru.id = r.author_id
                WHERE r.thread_id = t.id AND NOT r.is_opening AND NOT ru.is_bot
                  AND {published_by_end("r")} AND {not_removed_at("r")}
                  AND {member_at("r.author_id", "r.created_at")}"""
    rows = _rows(
        f"""
        SELECT t.id, t.created_at,
               (SELECT COUNT(*) {reply}),
               (SELECT MIN(COALESCE(r.published_at, r.created_at)) {reply} AND r.author_id <> t.author_id)
          FROM communities_thread t
          JOIN members_user tu ON tu.id = t.author_id
          JOIN communities_post o ON o.thread_id = t.id AND o.is_opening
         WHERE t.community_id = %(c)s AND t.kind = 'discussion'
           AND t.created_at >= %(j0)s AND t.created_at < %(j1)s
           AND NOT tu.is_bot
           AND {published_by_end("o")} AND {not_removed_at("o")}
           AND {member_at("t.author_id", "t.created_at")}
        """,
        p,
    )
    return [(r[0], _parse_dt(r[1]), int(r[2]), _parse_dt(r[3]) if r[3] is not None else None) for r in rows]


def threads(w: DayWindow) -> dict[str, Any]:
    judged = judged_threads(w)
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
        """
        SELECT COUNT(*) FROM members_invite i LEFT JOIN members_user u ON u.id = i.created_by_id
         WHERE i.community_id = %(c)s AND i.created_at >= %(s30)s AND i.created_at < %(end)s
           AND NOT i.created_by_staff AND (u.id IS NULL OR NOT u.is_bot)
        """,
        p,
    )
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
        SELECT t.id, t.title, t.created_at, COUNT(r.id), COUNT(DISTINCT r.author_id)
          FROM communities_thread t
          LEFT JOIN communities_post r ON r.thread_id = t.id AND NOT r.is_opening
               AND r.created_at < %(end)s
               AND EXISTS (SELECT 1 FROM members_user ru WHERE ru.id = r.author_id AND NOT ru.is_bot)
               AND {published_by_end("r")} AND {not_removed_at("r")}
               AND {member_at("r.author_id", "r.created_at")}
         WHERE t.community_id = %(c)s AND t.kind = 'ritual'
           AND t.created_at >= %(r0)s AND t.created_at < %(end)s
         GROUP BY t.id, t.title, t.created_at
        """,
        p,
    )
    return [(r[0], r[1], _parse_dt(r[2]), int(r[3]), int(r[4])) for r in rows]


def day_range(start: date, end: date) -> Iterable[date]:
    d = start
    while d <= end:
        yield d
        d += timedelta(days=1)

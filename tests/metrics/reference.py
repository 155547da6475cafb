"""The one-day reference of the metrics: the plain reading of docs/metrics.md for one local day D.

The jobs compute runs of days at once (``metrics.compute`` ``*_span``, ``metrics.sql.materialize_span``);
tests/metrics/test_hand_computed.py checks that they agree with this, key by key and day by day.
"""

# ruff: noqa: S608 - SQL is assembled from constants and helpers; values are always bound parameters

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from metrics.compute import (
    _content_counts,
    _retained_sql,
    content_values,
    engagement_values,
    growth_values,
    judged_threads,
    poll_values,
    thread_values,
)
from metrics.sql import STAFF, DayWindow, _base, _exec, _one, member_at, not_bot, ratio

# --- Materialized day tables ---------------------------------------------------------------------


def materialize_day(w: DayWindow) -> None:
    """Rewrite the derived rows of day D: who was active, who entered, who contributed."""
    p = _base(w)
    bots = w.bots
    for table in ("metrics_activeday", "metrics_entrant"):
        _exec(f"DELETE FROM {table} WHERE community_id = %(c)s AND day = %(ord)s", p)
    _exec("DELETE FROM metrics_contributorday WHERE community_id = %(c)s AND day = %(day)s", p)

    # Active on D (docs/metrics.md §2): visits, posts (threads are opening posts, held ones
    # included), reactions given (also those taken back since), invites created, joins — each
    # while a member; bots never.
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
            SELECT r.user_id FROM communities_removedreaction r JOIN communities_post rp ON rp.id = r.post_id
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

    # Top contributors / inviters: posts counting for D (written on D, or for a held post approved
    # on D; never rejected or undecided ones) and referred joins on D.
    _exec(
        f"""
        INSERT INTO metrics_contributorday (community_id, user_id, day, posts, referred_joins)
        SELECT %(c)s, x.user_id, %(day)s, SUM(x.posts), SUM(x.refs) FROM (
            SELECT p.author_id AS user_id, 1 AS posts, 0 AS refs
              FROM communities_post p
             WHERE p.community_id = %(c)s AND p.status = 'published'
               AND COALESCE(p.published_at, p.created_at) >= %(start)s
               AND COALESCE(p.published_at, p.created_at) < %(end)s
               AND {not_bot("p.author_id", bots)}
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


def content(w: DayWindow, mau: int) -> dict[str, Any]:
    """§4 for one day (the range computation uses ``content_span``, which agrees)."""
    return content_values(*_content_counts(w), mau)


def threads(w: DayWindow) -> dict[str, Any]:
    """§5 for one day (the range computation uses ``judged_threads_span``, which agrees)."""
    return thread_values(judged_threads(w))


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


def polls(w: DayWindow, mau: int) -> dict[str, Any]:
    """Poll voters of D: distinct people who cast a ballot in the last 30 days while a member (not
    bots) and were active in those 30 days, one plain query."""
    p = _base(w)
    (voters,) = _one(
        f"""
        SELECT COUNT(DISTINCT b.user_id) FROM communities_pollballot b
          JOIN communities_poll pl ON pl.id = b.poll_id
         WHERE pl.community_id = %(c)s AND b.created_at >= %(s30)s AND b.created_at < %(end)s
           AND {not_bot("b.user_id", w.bots)} AND {member_at("b.user_id", "b.created_at")}
           AND EXISTS (SELECT 1 FROM metrics_activeday a
                        WHERE a.community_id = %(c)s AND a.user_id = b.user_id
                          AND a.day > %(ord)s - 30 AND a.day <= %(ord)s)
        """,
        p,
    )
    return poll_values(int(voters), mau)

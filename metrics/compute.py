"""Set-based SQL for the metric definitions (docs/metrics.md): one function per metric family.

The ``*_span`` functions compute a run of consecutive days at once (``Span``) and are what the
jobs use; the one-day functions here (``judged_threads``, ``_content_counts``) serve the threads
whose history makes their figures depend on the day (removals, restores, approvals), and the
one-day reference in tests/metrics/reference.py is the plain reading of the definitions that the
span functions are checked against (tests/metrics/test_hand_computed.py). Local
days are turned into UTC instants here in Python, so the SQL only compares timestamps and
integers and runs unchanged on PostgreSQL and SQLite. Local-day bucketing that needs the whole history
(activity, entrants) is materialized per day in ``metrics_activeday`` / ``metrics_entrant``,
with the day as an integer ordinal so that windows like J+30 … J+36 are integer arithmetic.

Point in time (docs/metrics.md §1): every query only looks at events strictly before the local
midnight that ends D, and reads history tables (MembershipEvent, PostEvent, RemovedReaction)
rather than current state, so a later removal, restore, approval, leave, role change or reaction
taken back never changes D. Held posts count from their approval (§4), and a held opening post's
thread is created when it is approved (§5).
"""

# ruff: noqa: S608 - SQL is assembled from constants and helpers; values are always bound parameters

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from metrics.sql import (
    STAFF,
    DayWindow,
    Span,
    _base,
    _dt,
    _one,
    _parse_dt,
    _rows,
    _span_params,
    _sql,
    live,
    local_day_sql,
    member_at,
    not_bot,
    not_removed,
    published_by_end,
    ratio,
    with_ctes,
)


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
    """docs/metrics.md §5. (thread id, created, replies, first reply time) of the threads judged on
    D, optionally only among the threads ``only``.

    A thread is created when its opening post is published: when written, or when approved for a
    held one (``published_at``); a rejected or undecided opening post is never live, so its thread
    is never judged. The author must have been a member when writing it. The jobs call this only
    for the few threads with such a history (``special_threads``); without ``only`` it reads every
    thread written before the window's end (the one-day reference of the tests)."""
    p = _base(w)
    restrict = "" if only is None else f" AND {_in_ids('t.id', only)}"
    p["j0"] = _dt(w.start_of(w.day - timedelta(days=36)))
    p["j1"] = _dt(w.start_of(w.day - timedelta(days=6)))
    created = "COALESCE(o.published_at, o.created_at)"
    judged = f"""
        {with_ctes(removals=True)},
        judged AS (
            SELECT t.id, {created} AS created_at, t.created_at AS written, t.author_id
              FROM communities_thread t
              JOIN communities_post o ON o.thread_id = t.id AND o.is_opening
             WHERE t.community_id = %(c)s AND t.kind = 'discussion' AND t.created_at < %(j1)s
               AND {created} >= %(j0)s AND {created} < %(j1)s
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
         WHERE r.community_id = %(c)s AND r.created_at >= j.written AND r.created_at < %(end)s
           AND NOT r.is_opening AND {not_bot("r.author_id", w.bots)}
           AND {published_by_end("r")} AND {not_removed("r")}
           AND {member_at("r.author_id", "r.created_at")}
         GROUP BY r.thread_id
        """,
        p,
    )
    by_thread = {r[0]: (int(r[1]), _parse_dt(r[2]) if r[2] is not None else None) for r in replies}
    return [(t[0], _parse_dt(t[1]), *by_thread.get(t[0], (0, None))) for t in threads]


def thread_values(judged: Sequence[tuple[int, datetime, int, datetime | None]]) -> dict[str, Any]:
    eligible = len(judged)
    replies = sum(r[2] for r in judged)
    # A reply published before its thread was created (staff answering a held thread before
    # approving it) was there when the thread appeared: a wait of 0 hours (docs/metrics.md §5).
    waits = [max(0.0, (first - created).total_seconds() / 3600) for _, created, _, first in judged if first]
    return {
        "threads_eligible": eligible,
        "replies_per_thread": ratio(replies, eligible),
        "no_reply_share": ratio(eligible - len(waits), eligible),
        # statistics.median: mean of the two middle values for an even count.
        "ttfr_median_hours": statistics.median(waits) if waits else None,
    }


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


def special_threads(community_id: int) -> tuple[int, ...]:
    """Threads whose liveness or creation time can depend on D: any post in them was ever removed,
    restored or approved from review, the thread itself carries a removal, or its opening post was
    published later than written (a held thread is created when approved, docs/metrics.md §5,
    even when no approval event says so, as in data from before approvals were recorded)."""
    rows = _rows(
        """
        SELECT p.thread_id FROM communities_post p
         WHERE p.community_id = %(c)s
           AND (p.removed_at IS NOT NULL OR (p.is_opening AND p.published_at <> p.created_at))
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


# --- Polls ---------------------------------------------------------------------------------------


def polls_span(span: Span) -> dict[date, int]:
    """Poll voters over each day's last 30 days (``poll_voters_30d``).

    A person counts for D when they cast a ballot (its first vote: ``created_at``; changing a vote
    later is not a new ballot) in a poll of the community on one of the 30 local dates ending on
    D, while a member, not a bot, and were also active (§2) on at least one of those dates, so
    the voters are a part of ``mau``. Named and anonymous polls alike: only the count leaves this
    function. Ballots are never deleted, so D never changes afterwards."""
    p = _span_params(span)
    p["lo30"] = _dt(span.start_of(span.first - timedelta(days=29)))
    voted = f"""
        SELECT b.user_id, {local_day_sql("b.created_at", span, p)} AS day
          FROM communities_pollballot b JOIN communities_poll pl ON pl.id = b.poll_id
         WHERE pl.community_id = %(c)s AND b.created_at >= %(lo30)s AND b.created_at < %(hi)s
           AND {not_bot("b.user_id", span.bots)} AND {member_at("b.user_id", "b.created_at")}"""
    votes = _rows(*_sql(f"SELECT DISTINCT v.user_id, v.day FROM ({voted}) v", p))
    if not votes:
        return dict.fromkeys(span.days(), 0)
    active = _rows(
        *_sql(
            f"""
        SELECT DISTINCT a.user_id, a.day FROM metrics_activeday a
         WHERE a.community_id = %(c)s AND a.day > %(lo_ord)s - 30 AND a.day <= %(hi_ord)s
           AND a.user_id IN (SELECT v.user_id FROM ({voted}) v)
        """,
            p,
        )
    )
    out: dict[date, int] = {}
    for d in span.days():
        o = d.toordinal()
        voters = {int(u) for u, day in votes if o - 29 <= int(day) <= o}
        seen = {int(u) for u, day in active if o - 29 <= int(day) <= o} if voters else set()
        out[d] = len(voters & seen)
    return out


def poll_values(voters: int, mau: int) -> dict[str, Any]:
    return {"poll_voters_30d": voters, "poll_participation_30d": ratio(voters, mau)}

"""Short "how is this computed" texts for every metric (the full definitions are in docs/metrics.md)."""

from __future__ import annotations

LABELS: dict[str, str] = {
    "dau": "Daily active members",
    "wau": "Weekly active members",
    "mau": "Monthly active members",
    "stickiness": "DAU / MAU",
    "stickiness_avg_30d": "DAU / MAU, 30-day average",
    "members": "Members",
    "regular_members": "Regular members (not staff)",
    "posts_30d": "Posts, last 30 days",
    "member_posts_30d": "Posts by regular members, last 30 days",
    "posts_per_active_member_30d": "Posts per active member",
    "member_content_share_30d": "Share of posts by regular members",
    "threads_eligible": "Threads judged",
    "replies_per_thread": "Replies per thread",
    "no_reply_share": "Threads with no reply",
    "ttfr_median_hours": "Median time to first reply",
    "new_members_30d": "New members, last 30 days",
    "referred_joins_30d": "Referred joins, last 30 days",
    "referral_rate_30d": "Referral rate",
    "invites_sent_30d": "Member invites sent, last 30 days",
    "invites_per_member_30d": "Invites per regular member",
    "invite_conversion_30d": "Invite conversion",
    "k_factor_30d": "K-factor",
    "retention_30": "Retention at 30 days",
    "retention_30_eligible": "New members judged for 30-day retention",
    "retention_60": "Retention at 60 days",
    "retention_60_eligible": "New members judged for 60-day retention",
    "retention_90": "Retention at 90 days",
    "retention_90_eligible": "New members judged for 90-day retention",
    "events_held_30d": "Events held, last 30 days",
    "event_rsvps_30d": "RSVPs to those events",
    "event_attendance_rate_30d": "Event attendance rate",
    "poll_voters_30d": "Poll voters, last 30 days",
    "poll_participation_30d": "Poll participation",
}

HINTS: dict[str, str] = {
    "dau": "Members active on the day: visited a community page while logged in, posted, reacted, "
    "created an invite or joined. Bots never count; staff do.",
    "wau": "Distinct active members over the last 7 local days, the day included.",
    "mau": "Distinct active members over the last 30 local days, the day included.",
    "stickiness": "DAU divided by MAU for the day; empty when MAU is 0.",
    "stickiness_avg_30d": "Mean of daily DAU/MAU over the last 30 days, skipping days with MAU 0.",
    "members": "People who are members at the end of the day, owner and moderators included.",
    "regular_members": "Members at the end of the day who are not owner or moderator then.",
    "posts_30d": "Opening posts and replies written in the last 30 days by people who were members, "
    "still live at the end of the day (removed posts are excluded while removed; held posts count "
    "from approval).",
    "member_posts_30d": "Of those posts, the ones whose author was not owner or moderator when posting.",
    "posts_per_active_member_30d": "Posts in the last 30 days divided by MAU.",
    "member_content_share_30d": "Posts by regular members divided by all posts, last 30 days.",
    "threads_eligible": "Discussion threads started by a person 7 to 36 days before the day "
    "(each had at least 7 full days to be answered), live at the end of the day.",
    "replies_per_thread": "Live replies in the judged threads divided by their number.",
    "no_reply_share": "Judged threads with no reply from anyone but their author, as a share.",
    "ttfr_median_hours": "Median over judged threads of the hours from thread to its first reply by "
    "someone else; with an even count, the mean of the two middle values.",
    "new_members_30d": "People who joined for the first time as members in the last 30 days "
    "(rejoins, owner, moderators and bots excluded).",
    "referred_joins_30d": "New members who used an invite created by a regular member (every use of a "
    "multi-use link counts).",
    "referral_rate_30d": "Referred joins divided by new members, last 30 days.",
    "invites_sent_30d": "Invites created by regular members in the last 30 days.",
    "invites_per_member_30d": "Member invites in the last 30 days divided by regular members.",
    "invite_conversion_30d": "Referred joins divided by member invites, last 30 days (may exceed 1).",
    "k_factor_30d": "Referred joins divided by regular members: invites per member × conversion.",
    "retention_30": "Of the new members who joined 36 to 63 days ago, the share active at least once "
    "in the week starting 30 days after they joined.",
    "retention_60": "As retention at 30 days, for the week starting 60 days after joining.",
    "retention_90": "As retention at 30 days, for the week starting 90 days after joining.",
    "retention_30_eligible": "How many new members the 30-day retention figure is based on.",
    "retention_60_eligible": "How many new members the 60-day retention figure is based on.",
    "retention_90_eligible": "How many new members the 90-day retention figure is based on.",
    "events_held_30d": "Events that ended in the last 30 local days, the day included, and were not "
    "cancelled (an event whose discussion thread is removed does not count).",
    "event_rsvps_30d": '"Going" and "maybe" answers to those events, as they stand when computed '
    '(bots excluded; "not going" and the waiting list are not counted).',
    "event_attendance_rate_30d": 'Of the "going" answers to those events, the share whose person '
    "wrote a live post in the event's discussion thread between its start and one hour after its "
    "end. Empty when nobody was going.",
    "poll_voters_30d": "Distinct members who cast a ballot in a poll of the community in the last 30 local "
    "days (counted on the day of their first vote in that poll; changing a vote is not a new ballot) and "
    "were active in those 30 days. Named and anonymous polls alike; bots never.",
    "poll_participation_30d": "Poll voters in the last 30 days divided by MAU: the share of active members "
    "who voted in at least one poll. Empty when MAU is 0.",
}

COHORT_HINT = (
    "Each row is the members who first joined in one week (Monday to Sunday, community time). "
    "A cell is the share of them active at least once in the week that starts 30, 60 or 90 days "
    "after their own join date; it stays empty until that week has ended for the whole cohort."
)

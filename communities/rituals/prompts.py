"""The prompt library: ready-made rituals to start from.

Drawn from the seed articles on running micro-communities (weekly Q&As, a weekly wins thread,
member spotlights, office hours, AMAs, easy-to-answer prompts, feedback circles, showing work,
monthly challenges). Each entry pre-fills the ritual form; the owner can change everything.
Placeholders: {date} {week} {community} {member}.
"""

from __future__ import annotations

from dataclasses import dataclass

LAST_WEEK = 5  # nth_week meaning "the last weekday of the month"


@dataclass(frozen=True)
class Prompt:
    key: str
    kind: str  # a RitualKind value
    title: str
    body: str
    frequency: str = "weekly"
    weekday: int = 0  # 0 = Monday
    hour: int = 17
    nth_week: int = 1
    day_of_month: int = 1
    lock_after_days: int | None = None
    source: str = ""  # the idea it comes from, shown in the library

    @property
    def label(self) -> str:
        return self.title.split(" — ")[0].replace(" ({date})", "").replace(" (week {week})", "")


PROMPTS: tuple[Prompt, ...] = (
    Prompt(
        "weekly-wins",
        "wins",
        "Weekly wins (week {week})",
        "What is one small win you had this week? Big or tiny, share it here and cheer on the "
        "others — celebrating small wins is how {community} keeps its momentum.",
        weekday=4,
        hour=16,
        source="“What is one small win you had this week?”",
    ),
    Prompt(
        "weekly-qa",
        "qa",
        "Weekly Q&A — {date}",
        "Ask anything about what we do here. No question is too basic: reply with your question, "
        "and if you know an answer to someone else's, jump in.",
        weekday=1,
        hour=18,
        source="Weekly Q&As made participation spike in a 300-member feedback group",
    ),
    Prompt(
        "tool-saved-time",
        "custom",
        "What tool saved you time this month?",
        "What tool, template or trick saved you time this month? Share what it is, how you use it "
        "and who it would suit.",
        frequency="monthly_nth",
        weekday=2,
        nth_week=1,
        hour=12,
        source="“What tool saved you time this month?”",
    ),
    Prompt(
        "honest-feedback",
        "custom",
        "Feedback Friday: drop your latest work ({date})",
        "Drop your latest work for honest feedback. Say what kind of feedback you want, and give "
        "feedback to at least one other person in this thread.",
        weekday=4,
        hour=10,
        source="“Drop your latest post for honest feedback.”",
    ),
    Prompt(
        "member-spotlight",
        "spotlight",
        "Member spotlight: {member}",
        "This week we are shining a light on {member}. Tell us what you are working on, what brought "
        "you to {community}, and what you'd love help with. Everyone else: ask {member} a question!",
        weekday=2,
        hour=17,
        source="Member spotlights and recognition of active members",
    ),
    Prompt(
        "office-hours",
        "office_hours",
        "Office hours — {date}",
        "Office hours are open. Bring your questions, stuck points and half-finished ideas; the "
        "hosts will answer in this thread during the day.",
        weekday=3,
        hour=15,
        lock_after_days=2,
        source="Simple rituals: weekly threads, member spotlights or office hours",
    ),
    Prompt(
        "monthly-ama",
        "ama",
        "AMA: ask us anything ({date})",
        "It's our monthly Ask Me Anything. Post your questions as replies; upvote the ones you want "
        "answered first with a reaction.",
        frequency="monthly_nth",
        weekday=3,
        nth_week=LAST_WEEK,
        hour=18,
        lock_after_days=7,
        source="AMAs and private Q&A sessions",
    ),
    Prompt(
        "introductions-roundup",
        "custom",
        "New here? Say hello (week {week})",
        "Joined recently? Tell us your name, what you do and one thing you hope to get out of "
        "{community}. Old-timers: say hello to someone new.",
        weekday=0,
        hour=9,
        source="Design the first 30 days: welcome messages and introductions",
    ),
    Prompt(
        "biggest-challenge",
        "custom",
        "What's the biggest challenge you're facing right now?",
        "What is the biggest challenge you are facing in your work right now? Describe it in a few "
        "lines; others will share what worked for them.",
        weekday=1,
        hour=12,
        source="“What's the biggest challenge your team faces in implementing X?”",
    ),
    Prompt(
        "show-your-setup",
        "custom",
        "Show us your setup this week",
        "Show us how you set things up this week: a screenshot, a photo or a short description of "
        "your favorite template in action.",
        weekday=5,
        hour=11,
        source="“Show us how you styled your planner this week”",
    ),
    Prompt(
        "weekly-goals",
        "custom",
        "Goals for the week of {date}",
        "What is the one thing you want to get done this week? Post it here; next week we'll check "
        "in. Saying it out loud creates accountability and peer support.",
        weekday=0,
        hour=8,
        source="Share progress in threads for accountability and peer support",
    ),
    Prompt(
        "progress-checkin",
        "custom",
        "Progress check-in — {date}",
        "How did this week go? Share your progress, what got in the way, and what you'll try next.",
        weekday=4,
        hour=18,
        source="Encourage members to share accomplishments, challenges or ideas",
    ),
    Prompt(
        "resource-share",
        "custom",
        "Resource share: what helped you this month?",
        "Share one genuinely helpful resource you found this month — an article, a video, a course, "
        "a swipe file — and one sentence on why it helped.",
        frequency="monthly_day",
        day_of_month=15,
        hour=12,
        source="Links to genuinely helpful resources, simple templates or swipe files",
    ),
    Prompt(
        "teardown",
        "custom",
        "Teardown Tuesday",
        "Pick one piece of work you admire (or your own) and break down why it works. What would "
        "you steal? What would you change?",
        weekday=1,
        hour=17,
        source="Thoughtful teardown threads or examples",
    ),
    Prompt(
        "monthly-challenge",
        "custom",
        "Challenge of the month — {date}",
        "This month's challenge: pick one small project you can finish in four weeks and post your "
        "starting point here. Update the thread as you go.",
        frequency="monthly_day",
        day_of_month=1,
        hour=9,
        source="Run monthly live sessions or challenges",
    ),
    Prompt(
        "ask-for-help",
        "qa",
        "Stuck? Ask for help here (week {week})",
        "Stuck on something? Describe what you are trying to do, what you tried and where it broke. "
        "Someone here has probably been there.",
        weekday=2,
        hour=9,
        source="Customer support: ask peers in the same space",
    ),
    Prompt(
        "lessons-learned",
        "custom",
        "One lesson learned this month",
        "What is one thing you learned the hard way this month? Share it so the rest of "
        "{community} can learn it the easy way.",
        frequency="monthly_nth",
        weekday=4,
        nth_week=LAST_WEEK,
        hour=16,
        source="Honest stories and practical guidance over flashy content",
    ),
    Prompt(
        "gratitude",
        "custom",
        "Shout-outs: who helped you this week?",
        "Who in {community} helped you this week? Give them a shout-out and tell them how.",
        weekday=4,
        hour=15,
        source="Thanking people for sharing their work; encouraging quieter members",
    ),
    Prompt(
        "what-are-you-reading",
        "custom",
        "What are you reading, watching or listening to?",
        "What's on your reading list (or playlist) this week? One line on why it's worth it.",
        weekday=6,
        hour=10,
        source="Low-risk prompts that invite participation",
    ),
    Prompt(
        "ideas-board",
        "custom",
        "Ideas for {community}: what should we try next?",
        "What should we try next as a community — a new ritual, a workshop, a guest? Post ideas and "
        "react to the ones you like. Early members are our culture setters.",
        frequency="monthly_nth",
        weekday=0,
        nth_week=1,
        hour=12,
        source="Invite members to help shape the rules and the rhythm",
    ),
    Prompt(
        "early-access-feedback",
        "custom",
        "Early look: tell us what you think ({date})",
        "Here is what we are working on. Tell us what you'd change before it goes wide — "
        "every reply is read.",
        frequency="monthly_nth",
        weekday=1,
        nth_week=2,
        hour=17,
        source="Early access and feedback loops before public release",
    ),
    Prompt(
        "weekend-plans",
        "custom",
        "Weekend thread: what are you up to?",
        "Off-topic and friendly: what are you up to this weekend?",
        weekday=4,
        hour=17,
        lock_after_days=4,
        source="The internet's living room: conversations that feel like they belong there",
    ),
)

PROMPTS_BY_KEY = {p.key: p for p in PROMPTS}

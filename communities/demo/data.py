# ruff: noqa: E501 - prose reads better unwrapped; this file holds only demo text
"""Text for the demo site built by ``manage.py seed_demo``.

Kept apart from the command so the command reads as a story of what happens when, and this file
as the cast and the words they say. Everything here is made up.
"""

from __future__ import annotations

DEMO_PASSWORD = "hearth-demo-fireside"  # noqa: S105 - printed on purpose: demo accounts only
DEMO_EMAIL_DOMAIN = "demo.hearth.test"
# The seed's first community; if it exists, the base demo is already there.
MARKER_SLUG = "night-owls"

# handle, display name
PEOPLE: list[tuple[str, str]] = [
    ("ada", "Ada Okafor"),
    ("mo", "Mo Lindqvist"),
    ("sam", "Sam Herrera"),
    ("priya", "Priya Raman"),
    ("jonas", "Jonas Becker"),
    ("lena", "Lena Novak"),
    ("tomas", "Tomás Ortega"),
    ("keiko", "Keiko Tanaka"),
    ("noor", "Noor Haddad"),
    ("felix", "Felix Brandt"),
    ("amara", "Amara Diallo"),
    ("ravi", "Ravi Menon"),
    ("ingrid", "Ingrid Solberg"),
    ("marco", "Marco Bellini"),
    ("yuki", "Yuki Sato"),
    ("chloe", "Chloé Martin"),
    ("dev", "Dev Kapoor"),
    ("hana", "Hana Kim"),
    ("oscar", "Oscar Nilsson"),
    ("zoe", "Zoe Papadopoulos"),
    ("luca", "Luca Romano"),
    ("maya", "Maya Cohen"),
    ("theo", "Theo Laurent"),
    ("sofia", "Sofia Alves"),
    ("kwame", "Kwame Mensah"),
    ("elif", "Elif Yılmaz"),
    ("finn", "Finn O'Brien"),
    ("aisha", "Aisha Bello"),
    ("pablo", "Pablo Ruiz"),
    ("greta", "Greta Vogel"),
    ("omar", "Omar Farouk"),
    ("nina", "Nina Petrova"),
    ("jack", "Jack Whitfield"),
    ("mei", "Mei Chen"),
    ("arjun", "Arjun Das"),
    ("clara", "Clara Jensen"),
    ("bruno", "Bruno Costa"),
    ("ivy", "Ivy Nakamura"),
    ("leo", "Leo Fischer"),
    ("rosa", "Rosa Jiménez"),
    ("emil", "Emil Andersson"),
    ("tara", "Tara Walsh"),
]

# The three logins printed at the end: an owner, a moderator (promoted mid-way), a member.
OWNER_HANDLE = "ada"
MODERATOR_HANDLE = "mo"
MEMBER_HANDLE = "sam"

GUIDELINES_DEFAULT = """\
We keep this place small on purpose. A few things that make it work:

1. **Be kind, be specific.** Critique the work, never the person.
2. **Share what you learn.** If a thread helped you, say what you tried and how it went.
3. **No drive-by promotion.** Links to your own things are welcome when they answer a question.
4. **What's said here stays here.** Don't screenshot people without asking.

> If something feels off, flag the post and a moderator will look at it, usually within a day.
"""

COMMUNITIES: list[dict] = [
    {
        "slug": "night-owls",
        "name": "Night Owls Writing Circle",
        "purpose": "Writers who get their best pages done after dark, keeping each other honest.",
        "visibility": "public",
        "join_policy": "open",
        "time_zone": "Europe/Berlin",
        "guidelines_md": """\
Welcome, owls. This circle is for people who write, not for people who *talk about* writing.

- Post your **word count** in the weekly wins thread, however small.
- Feedback threads: say what kind of feedback you want (line edits, big picture, encouragement).
- Spoilers for published books go behind a warning line.

> "You can't edit a blank page." — pinned here forever.
""",
        "welcome_message_md": "Glad you found us. Say hi in **Introductions** and tell us what you're working on.",
        "spaces": [
            ("Introductions", "introductions", "Say hello and what you're writing."),
            ("Wins", "wins", "Word counts, finished drafts, acceptances."),
            ("Feedback", "feedback", "Ask for a read. Say what kind of feedback you want."),
        ],
        "screening_questions": [],
        "members": 24,
        "age_days": 126,
    },
    {
        "slug": "balcony-gardeners",
        "name": "Balcony Gardeners",
        "purpose": "Growing food and flowers in small urban spaces — swaps, fails and harvests.",
        "visibility": "listed",
        "join_policy": "approval",
        "time_zone": "America/New_York",
        "guidelines_md": GUIDELINES_DEFAULT,
        "welcome_message_md": "Welcome to the balcony! Post a photo-free description of your space in Introductions.",
        "spaces": [
            ("Introductions", "introductions", "Your space, your climate, what you grow."),
            ("Help", "help", "Yellow leaves? Aphids? Ask here."),
            ("Harvests", "wins", "Show off (in words) what you grew."),
        ],
        "screening_questions": [
            "What do you grow, or want to grow?",
            "Roughly where are you (climate or region)?",
        ],
        "members": 18,
        "age_days": 124,
    },
    {
        "slug": "indie-makers",
        "name": "Indie Makers Guild",
        "purpose": "Solo founders shipping small, profitable software — accountability, not hype.",
        "visibility": "listed",
        "join_policy": "invite_only",
        "time_zone": "UTC",
        "guidelines_md": """\
This guild is invite-only so every member is someone a member vouches for.

1. Share **real numbers** when you can (MRR, churn, hours). Nobody here judges small ones.
2. Weekly goals go in *Wins* on Monday; check them off on Friday.
3. Ask for intros privately; don't cold-pitch members.
""",
        "welcome_message_md": "You're in because someone vouched for you. Tell us what you're shipping this month.",
        "spaces": [
            ("Introductions", "introductions", "Who you are and what you're building."),
            ("Wins", "wins", "Weekly goals and shipped things."),
            ("Help", "help", "Stuck on pricing, code or motivation? Ask."),
        ],
        "screening_questions": [],
        "members": 14,
        "age_days": 122,
    },
    {
        "slug": "trail-runners",
        "name": "Trail Runners Northwest",
        "purpose": "Weekend trail runs, route notes and gear talk for the Pacific Northwest.",
        "visibility": "public",
        "join_policy": "approval",
        "time_zone": "America/Los_Angeles",
        "guidelines_md": """\
Public to read, approval to post — so route reports stay trustworthy.

- **Safety first:** trail conditions change fast. Date every route report.
- Carpool offers go in *General*; no selling gear for profit.
- Leave no trace, online too: no sharing of private trailheads people asked to keep quiet.
""",
        "welcome_message_md": "Welcome! Tell us your favourite loop in Introductions.",
        "spaces": [
            ("Introductions", "introductions", "Your home trails and your pace."),
            ("Route reports", "routes", "Conditions, dated."),
            ("Gear", "gear", "Shoes, packs, poles, headlamps."),
        ],
        "screening_questions": ["Which trails do you usually run?"],
        "members": 12,
        "age_days": 120,
    },
    {
        "slug": "founders-fireside",
        "name": "Founders' Fireside",
        "purpose": "A quiet room for founders to talk about the hard parts honestly.",
        "visibility": "secret",
        "join_policy": "invite_only",
        "time_zone": "Europe/London",
        "guidelines_md": """\
Nothing said here leaves this room. That's the whole point.

1. Speak from your own experience; advice only when asked.
2. No names of people who aren't here to answer.
3. If you're struggling, say so. Someone will reply.
""",
        "welcome_message_md": "This room is secret and invite-only. Take your time; read before you write.",
        "spaces": [
            ("Introductions", "introductions", "Where you are and what's hard right now."),
            ("Office hours", "office-hours", "Ask the room a specific question."),
        ],
        "screening_questions": [],
        "members": 9,
        "age_days": 118,
    },
]

# Thread openers per space kind: (title, body). "general" is the default space every community has.
THREADS: dict[str, list[tuple[str, str]]] = {
    "introductions": [
        (
            "Introduce yourself here 👋",
            "New here? Tell us:\n\n- what you call yourself\n- what brought you\n- one thing you want out of this group\n\n"
            "I'll start: I'm the one who set this place up, and I mostly lurk at night.",
        ),
        (
            "Hello from a lurker turned poster",
            "I've read along for a couple of weeks and finally made an account. "
            "Happy to be here — I'm mostly *learning* for now.",
        ),
    ],
    "wins": [
        (
            "Weekly wins thread",
            "What went well this week? Small wins count:\n\n1. Shipped / finished something\n2. Started something you were avoiding\n3. Helped someone here\n\n> Post yours below.",
        ),
        (
            "Finally finished the thing",
            "After **four months** of on-and-off work it's done. Not perfect, but done. Thanks to everyone who nudged me in the wins threads.",
        ),
        (
            "Small win: kept the streak going",
            "Thirty days in a row. Some days it was ten minutes, but the streak held.",
        ),
    ],
    "help": [
        (
            "How do you keep going when motivation dips?",
            "I hit a wall every few weeks. What actually works for you? Not looking for hacks, "
            "just what you *really* do on the bad days.",
        ),
        (
            "Stuck: need a second pair of eyes",
            "Here's what I tried so far:\n\n```\nstep 1: read the docs\nstep 2: tried the obvious fix\nstep 3: stared at it\n```\n\n"
            "Anyone seen this before?",
        ),
    ],
    "feedback": [
        (
            "Opening page of my novel — big-picture feedback please",
            "Looking for **big picture** only: does the first page make you want the second?\n\n"
            "> The lighthouse had been dark for eleven years when Maren climbed it with a can of paraffin and no plan.\n\n"
            "Be honest, I can take it.",
        ),
        (
            "Query letter, draft three",
            "Third pass at my query. I cut the first paragraph entirely. Line edits welcome.",
        ),
    ],
    "routes": [
        (
            "Tiger Mountain loop — conditions this weekend",
            "Ran the TMT loop on Saturday. Notes:\n\n- upper section **muddy** but passable\n- one tree down past the second junction\n- parking full by 8:30\n\nMap I used: https://www.openstreetmap.org/",
        ),
        (
            "Snow line report",
            "Snow starts around 3,200 ft on the north side. Microspikes recommended above that.",
        ),
    ],
    "gear": [
        (
            "Shoes for wet, rooty trails?",
            "My road-ish trail shoes slide everywhere. What's grippy on wet roots without feeling like bricks?",
        ),
        (
            "Headlamp recommendations for winter mornings",
            "Need something that lasts 2 hours on medium. Rechargeable preferred.",
        ),
    ],
    "office-hours": [
        (
            "Letting my first employee go",
            "I have to do it next week and I'm dreading it. How did you handle the conversation itself?",
        ),
        (
            "Fundraising vs. staying small",
            "Two investors want to talk. Part of me wants to stay a small, calm company. How did you decide?",
        ),
    ],
    "general": [
        (
            "What are you working on this week?",
            "Drop a line about what's on your plate. I'll go first: cleaning up an old project and *finally* writing the docs.",
        ),
        (
            "Book recommendations thread",
            "What are you reading? Format:\n\n- **Title** — author\n- one line on why\n\nI'll start with *A Swim in a Pond in the Rain* — George Saunders. Changed how I read.",
        ),
        (
            "Meetup next month?",
            "A few of us are in the same city. Anyone up for coffee in person? I can book a table.",
        ),
        (
            "Tools you can't live without",
            "Share the small tools that make your days better. Mine:\n\n1. a paper notebook\n2. a kitchen timer\n3. `rg` for searching notes",
        ),
        (
            "Quiet week — how is everyone?",
            "Things feel slow here this week. Just checking in. How are you all doing, really?",
        ),
        (
            "Monthly check-in: goals for next month",
            "One goal each. Keep it small enough that you'll actually do it.",
        ),
    ],
}


# The General space of each community talks about that community's own subject, so the demo
# reads like five real places rather than one forum copied five times.
GENERAL_BY_COMMUNITY: dict[str, list[tuple[str, str]]] = {
    "night-owls": [
        (
            "What are you writing tonight?",
            "Word count goals for the night, go. I'm aiming for **800** on chapter nine.",
        ),
        (
            "Book recommendations thread",
            "What are you reading? Format:\n\n- **Title** — author\n- one line on why",
        ),
        (
            "Coffee or tea after midnight?",
            "Serious question: what keeps you going at 2am without wrecking tomorrow?",
        ),
        (
            "How do you outline, if at all?",
            "Plotter, pantser, or somewhere in between? Share how you start a draft.",
        ),
        (
            "Quiet week — how is everyone?",
            "Things feel slow here this week. Just checking in. How are you all doing?",
        ),
        ("Favourite writing soundtrack", "Rain sounds, film scores, or silence? Drop a link or a name."),
    ],
    "balcony-gardeners": [
        (
            "Tomatoes in pots: which varieties?",
            "I have a south-facing balcony and three big pots. Cherry or something bigger?",
        ),
        ("Aphids on my chillies again", "Tried soapy water twice. Anything gentler that actually works?"),
        (
            "Seed swap in spring?",
            "I'll have spare basil, marigold and sweet pea seeds. Anyone up for a swap in March?",
        ),
        (
            "Self-watering pots: worth it?",
            "Going away for two weeks in July. Do the reservoir pots really help?",
        ),
        ("Show us your balcony", "Photos or a short description — what's growing up there right now?"),
        ("Compost in a small flat", "Bokashi bin, worm bin, or give up and use the council bin?"),
    ],
    "indie-makers": [
        ("What are you shipping this week?", "One line each: what goes out the door by Friday?"),
        ("Pricing your first product", "I'm stuck between $9 and $29. How did you pick your first price?"),
        (
            "Tools you can't live without",
            "Share the small tools that make your days better. Mine:\n\n1. a paper notebook\n2. `rg`",
        ),
        ("Landing page teardown, anyone?", "I'd love brutal feedback on my headline and the first screen."),
        ("Quiet launch, now what?", "Launched on Tuesday: 40 visitors, 1 sign-up. What would you try next?"),
        ("Monthly revenue check-in", "Share a number if you like, or just how the month *felt*."),
    ],
    "trail-runners": [
        ("Saturday long run — who's in?", "Meeting at the Issaquah trailhead, 7:30. Easy pace, about 18 km."),
        ("Post-run food spots", "Where do you refuel after a long one? Bonus points for good pastries."),
        (
            "First ultra: training plan advice",
            "Signed up for a 50K in June. How many weeks did your first build take?",
        ),
        ("Poles or no poles?", "Thinking about poles for the steeper climbs. Worth the hassle?"),
        ("Injury check-in", "How are the knees, ankles and everything else? Share what's helping."),
    ],
    "founders-fireside": [
        ("Hiring your first engineer", "Contract first or straight to full-time? What would you do again?"),
        (
            "Board meeting prep that actually helps",
            "What goes in your pre-read? Mine is too long and nobody reads it.",
        ),
        ("Burnout, honestly", "How are you really? No metrics in this thread."),
        (
            "Saying no to a big customer",
            "They want a custom feature that would take a quarter. How did you decide?",
        ),
        ("Books that changed how you run things", "One book and one idea from it you still use."),
    ],
}

REPLIES: list[str] = [
    "Love this. Thanks for sharing!",
    "Same here — it took me ages to figure out. What helped most was writing it down every day.",
    "> Small wins count\n\nThey really do. Mine this week: I showed up.",
    "Have you tried breaking it into smaller pieces? I do **one 25-minute block** and allow myself to stop after.",
    "Great question. A few things that worked for me:\n\n- fixed start time\n- phone in another room\n- telling someone here what I'll do",
    "I wrote a bit about this last year: https://example.org/notes/on-consistency — the short version is *lower the bar*.",
    "Congrats!! 🎉 That's a big one.",
    "Welcome! Glad you're here.",
    "+1 to this. Bookmarking.",
    "Hmm, I'd push back a little: sometimes the break *is* the fix. Rest counts.",
    "Here's what my setup looks like:\n\n```\nmorning: 45 min\nlunch: 15 min review\nevening: off\n```",
    "Thanks, this is exactly what I needed today.",
    "I had the same problem. Turned out to be much simpler than I thought — restarting from scratch took an hour.",
    "Count me in!",
    "Honest answer: I don't always keep going. I come back, and that's enough.",
    "Really helpful thread. Could we pin this?",
    "Adding mine:\n\n1. a walk before starting\n2. the same playlist every time\n3. stop mid-sentence so tomorrow is easy",
    "That sounds hard. You're not the only one — happy to talk it through if useful.",
    "Seconding the recommendation. It's worth it.",
    "Week two of trying this and it's working so far.",
]

# Answers to each community's screening questions, one list per applicant (in question order).
JOIN_REQUEST_ANSWERS: dict[str, list[list[str]]] = {
    "trail-runners": [
        ["Tiger Mountain and Cougar most weekends, Forest Park when I'm in Portland."],
        ["Mostly Rattlesnake Ledge and Mailbox Peak — slow and steady."],
        ["Squak Mountain loops, plus the odd 50k."],
    ],
    "balcony-gardeners": [
        [
            "Cherry tomatoes and herbs, and I'd love to try strawberries in hanging pots.",
            "Rotterdam — mild, windy, not much sun on my side of the building.",
        ],
        [
            "Mostly flowers for the bees, some chillies.",
            "Zone 7b, south-facing balcony on the 4th floor.",
        ],
        [
            "Salad greens, peas and one very ambitious lemon tree.",
            "Lisbon — lots of sun, very little rain in summer.",
        ],
    ],
}

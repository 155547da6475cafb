"""Create a believable demo site: five communities, ~40 people, four months of history.

Usage::

    python manage.py seed_demo

What it builds (through the real services, so every row is one the app itself would write):

* five communities covering every visibility (public, listed, secret) and join policy (open,
  approval, invite-only), each with a purpose, Markdown guidelines and a few spaces;
* ~40 people with display names and verified email addresses (they can log in under mandatory
  verification), all with the one demo password;
* memberships spread over the last 120 days — some people leave, one member of each community is
  promoted to moderator half-way, invite-only communities grow through invite links (``Invite`` with
  ``InviteRedemption`` rows, ``Membership.invite``/``invited_by`` set) and approval communities
  through approved join requests; two join requests with screening answers are still pending;
* threads and replies spread over the same 120 days (lists, quotes, code, links).

Everything is driven by a fixed random seed, so two fresh databases get the same demo (dates are
relative to the moment the command runs).

Idempotent: the base demo is created in one transaction and skipped when its first community
(slug ``night-owls``) already exists, so running the command twice duplicates nothing.

Extension hook — the contract other apps rely on
-------------------------------------------------
After the base demo (whether it was just created or already there), the command goes through
``EXTENSION_MODULES`` in order. For each module that exists (``importlib.util.find_spec``) it
imports it and calls ``seed(stdout)``, where ``stdout`` is the command's output wrapper
(``stdout.write(...)``). Each ``seed`` function must:

* be idempotent (it runs on every ``seed_demo``; running it twice changes nothing),
* find what it needs by the stable demo slugs/handles above (``night-owls``,
  ``balcony-gardeners``, ``indie-makers``, ``trail-runners``, ``founders-fireside``; people ``ada``,
  ``mo``, ``sam``, …) and use the app's own services,
* raise on a real failure (the command stops loudly rather than leaving a half demo).
"""

from __future__ import annotations

import importlib
import importlib.util
import random
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, OutputWrapper
from django.db import transaction
from django.utils import timezone

from communities.demo import data
from communities.discussions.models import Thread, ThreadKind
from communities.discussions.services import post_create, thread_create
from communities.models import Community, Space
from communities.services import community_create
from members.models import (
    Invite,
    InviteRedemption,
    JoinRequest,
    JoinRequestStatus,
    Membership,
    MembershipStatus,
    Role,
    User,
)
from members.services import membership_join, membership_leave, membership_set_role

EXTENSION_MODULES = [
    "communities.demo.members",
    "communities.demo.profiles",
    "communities.demo.discussions",
    "communities.demo.rituals",
    "communities.demo.events",
    "communities.demo.moderation",
    "communities.demo.polls",
    "communities.demo.messages",
    "metrics.demo",
]
RANDOM_SEED = 20241121
HISTORY_DAYS = 120
# Owners per community (by slug); everyone else is drawn from the cast with the fixed seed.
OWNERS = {
    "night-owls": "ada",
    "balcony-gardeners": "priya",
    "indie-makers": "ada",
    "trail-runners": "jonas",
    "founders-fireside": "ada",
}
# People who must be in a community (the demo logins need something to see) or must not be
# (the pending applicants; ``sam`` stays out of the secret room to show it is invisible).
REQUIRED = {"night-owls": ["mo", "sam"], "balcony-gardeners": ["sam"], "indie-makers": ["sam", "mo"]}
EXCLUDED = {"balcony-gardeners": ["tara", "emil"], "founders-fireside": ["sam"]}
PENDING_APPLICANTS = ["tara", "emil"]


@dataclass
class PlannedMember:
    handle: str
    join_at: datetime
    leave_at: datetime | None = None
    invite_key: str | None = None  # key into the community's planned invites
    approved_by: str | None = None  # joined through an approved join request


@dataclass
class Plan:
    """Everything that happens in one community, as (time, order, action, args) events."""

    events: list[tuple[datetime, int, str, dict[str, Any]]] = field(default_factory=list)

    def add(self, at: datetime, action: str, **args: Any) -> None:
        self.events.append((at, len(self.events), action, args))


class Command(BaseCommand):
    help = "Create the demo communities, people and four months of history (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        if Community.objects.filter(slug=data.MARKER_SLUG).exists():
            self.stdout.write("Demo data is already there; nothing to add to the base demo.")
        else:
            with transaction.atomic():
                counts = DemoBuilder(self.stdout).build()
            self.stdout.write(
                self.style.SUCCESS(
                    "Demo created: {communities} communities, {people} people, {memberships} memberships, "
                    "{threads} threads, {posts} posts, {invites} invites.".format(**counts)
                )
            )
        run_extensions(self.stdout)
        self.print_logins()

    @staticmethod
    def _roles_of(handle: str) -> str:
        """— owns X, Y; moderates Z; member of W (active memberships, by name)."""
        rows = Membership.objects.filter(user__handle=handle, status=MembershipStatus.ACTIVE).values_list(
            "role", "community__name"
        )
        by_role: dict[str, list[str]] = {}
        for role, name in rows.order_by("community__name"):
            by_role.setdefault(role, []).append(name)
        parts = []
        for role, verb in ((Role.OWNER, "owns"), (Role.MODERATOR, "moderates"), (Role.MEMBER, "member of")):
            if by_role.get(role):
                parts.append(f"{verb} {', '.join(by_role[role])}")
        return f" — {'; '.join(parts)}" if parts else ""

    def print_logins(self) -> None:
        site = settings.SITE_URL
        invite = (
            Invite.objects.filter(community__slug="indie-makers", note=DemoBuilder.OPEN_INVITE_NOTE)
            .order_by("-created_at")
            .first()
        )
        lines = [
            "",
            f"Demo logins (password for all: {data.DEMO_PASSWORD})",
        ]
        for label, handle in (
            ("owner", data.OWNER_HANDLE),
            ("moderator", data.MODERATOR_HANDLE),
            ("member", data.MEMBER_HANDLE),
        ):
            email = f"{handle}@{data.DEMO_EMAIL_DOMAIN}"
            lines.append(f"  {label + ':':<11}{email:<26} (or handle @{handle}){self._roles_of(handle)}")
        if invite is not None and invite.is_usable():
            lines.append(f"  an invite link to try: {site}{invite.get_absolute_url()}")
        lines.append(f"Open {site}/ and log in with an email or a handle.")
        self.stdout.write("\n".join(lines))


def run_extensions(stdout: OutputWrapper) -> list[str]:
    """Call ``seed(stdout)`` of every extension module that exists; return the names run."""
    ran = []
    for name in EXTENSION_MODULES:
        try:
            spec = importlib.util.find_spec(name)
        except ModuleNotFoundError:  # the parent package itself is missing
            spec = None
        if spec is None:
            continue
        module = importlib.import_module(name)
        stdout.write(f"Demo extension {name}…")
        module.seed(stdout)
        ran.append(name)
    return ran


class DemoBuilder:
    OPEN_INVITE_NOTE = "Demo invite: try joining with this link"

    def __init__(self, stdout: OutputWrapper) -> None:
        self.stdout = stdout
        self.rng = random.Random(RANDOM_SEED)
        # Whole minutes, so the history reads naturally.
        self.now = timezone.now().replace(second=0, microsecond=0)
        self.users: dict[str, User] = {}
        self.counts = dict.fromkeys(
            ("communities", "people", "memberships", "threads", "posts", "invites"), 0
        )

    # --- people ---------------------------------------------------------------------------
    def create_people(self) -> None:
        joined = self.now - timedelta(days=HISTORY_DAYS + 10)
        # Hash the shared password once: the hasher is deliberately slow (~0.4 s a call here).
        password_hash = make_password(data.DEMO_PASSWORD)
        for handle, display_name in data.PEOPLE:
            email = f"{handle}@{data.DEMO_EMAIL_DOMAIN}"
            user = User.objects.create_user(
                handle=handle,
                email=email,
                password=None,
                display_name=display_name,
                date_joined=joined + timedelta(hours=self.rng.randint(0, 48)),
            )
            user.password = password_hash
            user.save(update_fields=["password"])
            EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
            self.users[handle] = user
        self.counts["people"] = len(self.users)

    # --- plan -----------------------------------------------------------------------------
    def plan_community(self, spec: dict) -> tuple[Plan, list[PlannedMember]]:
        rng = self.rng
        slug = spec["slug"]
        created = self.now - timedelta(days=spec["age_days"], hours=rng.randint(0, 12))
        owner = OWNERS[slug]
        pool = [h for h, _ in data.PEOPLE if h != owner and h not in EXCLUDED.get(slug, [])]
        pool = [h for h in pool if h not in REQUIRED.get(slug, [])]
        others = rng.sample(pool, spec["members"] - 1 - len(REQUIRED.get(slug, [])))
        handles = REQUIRED.get(slug, []) + others
        invite_only = spec["join_policy"] == "invite_only"
        plan = Plan()
        plan.add(created, "create", spec=spec, owner=owner)

        members: list[PlannedMember] = []
        span = (self.now - timedelta(days=2) - created).total_seconds()
        for i, handle in enumerate(handles):
            # Early members first (the required cast joins in the first weeks), then a steady trickle.
            if i < 4:
                offset = timedelta(days=1 + i * 2, hours=rng.randint(0, 20))
            else:
                offset = timedelta(seconds=span * rng.random() ** 1.3)
            members.append(PlannedMember(handle=handle, join_at=created + offset))
        members.sort(key=lambda m: m.join_at)

        # About one in eight leaves again (never the required cast).
        for m in members:
            if m.handle not in REQUIRED.get(slug, []) and rng.random() < 0.13:
                leave = m.join_at + timedelta(days=rng.randint(8, 45), hours=rng.randint(0, 23))
                if leave < self.now - timedelta(days=1):
                    m.leave_at = leave

        # How people got in: invite links (all of them in invite-only communities, a third
        # elsewhere), approved join requests in approval communities, one click in open ones.
        for idx, m in enumerate(members):
            if invite_only or rng.random() < 0.33:
                earlier = [p for p in members[:idx] if p.leave_at is None or p.leave_at > m.join_at]
                inviter = owner if (invite_only and idx < 3) or not earlier else rng.choice(earlier).handle
                m.invite_key = inviter
            elif spec["join_policy"] == "approval":
                m.approved_by = owner

        for m in members:
            plan.add(m.join_at, "join", member=m)
            if m.leave_at:
                plan.add(m.leave_at, "leave", handle=m.handle)

        # Promote an early member to moderator half-way through the history.
        promote_at = self.now - timedelta(days=HISTORY_DAYS // 2, hours=3)
        if "mo" in REQUIRED.get(slug, []):
            moderator = "mo"
        else:
            moderator = next(
                m.handle
                for m in members
                if m.join_at < promote_at and m.leave_at is None and m.handle != data.MEMBER_HANDLE
            )
        plan.add(promote_at, "promote", handle=moderator, by=owner)
        self.plan_conversations(plan, spec, created, members, owner)
        return plan, members

    def plan_conversations(
        self, plan: Plan, spec: dict, created: datetime, members: list[PlannedMember], owner: str
    ) -> None:
        rng = self.rng
        spaces = ["general"] + [s[1] for s in spec["spaces"]]

        def active_at(at: datetime) -> list[str]:
            return [owner] + [
                m.handle for m in members if m.join_at < at and (m.leave_at is None or m.leave_at > at)
            ]

        thread_no = 0
        for space in spaces:
            texts = data.THREADS.get(space, data.THREADS["general"])
            if space == "general":
                texts = data.GENERAL_BY_COMMUNITY.get(spec["slug"], texts)
            if space == "general":
                texts = rng.sample(texts, k=min(len(texts), 4 + rng.randint(0, 2)))
            for title, body in texts:
                if space == "introductions" and thread_no == 0:
                    at = created + timedelta(hours=2)
                else:
                    at = created + timedelta(days=3) + (self.now - created - timedelta(days=4)) * rng.random()
                thread_no += 1
                key = f"{spec['slug']}-{thread_no}"
                starter = owner if at < created + timedelta(days=3) else rng.choice(active_at(at))
                plan.add(at, "thread", key=key, space=space, title=title, body=body, author=starter)
                replies = rng.choice([0, 1, 2, 3, 3, 4, 5, 6, 8])
                reply_at = at
                for _ in range(replies):
                    reply_at = reply_at + timedelta(minutes=rng.randint(20, 60 * 48))
                    if reply_at >= self.now:
                        break
                    candidates = [h for h in active_at(reply_at) if h != starter] or [starter]
                    plan.add(
                        reply_at,
                        "reply",
                        key=key,
                        author=rng.choice(candidates),
                        body=rng.choice(data.REPLIES),
                    )

    # --- run ------------------------------------------------------------------------------
    def build(self) -> dict[str, int]:
        self.create_people()
        for spec in data.COMMUNITIES:
            plan, _members = self.plan_community(spec)
            self.run_plan(spec, plan)
        self.pending_requests()
        self.open_invite()
        return self.counts

    def run_plan(self, spec: dict, plan: Plan) -> None:
        community: Community | None = None
        memberships: dict[str, Membership] = {}
        threads: dict[str, Thread] = {}
        invites: dict[str, Invite] = {}
        spaces: dict[str, Space] = {}
        for at, _, action, args in sorted(plan.events, key=lambda e: (e[0], e[1])):
            if action == "create":
                community = self.create_community(spec, args["owner"], at)
                spaces = {s.slug: s for s in community.spaces.all()}
                memberships[args["owner"]] = Membership.objects.get(
                    community=community, user=self.users[args["owner"]]
                )
                continue
            assert community is not None  # noqa: S101 - "create" is always the first event
            if action == "join":
                m: PlannedMember = args["member"]
                user = self.users[m.handle]
                invite = None
                if m.invite_key:
                    invite = self.use_invite(community, invites, memberships, m.invite_key, user, at)
                elif m.approved_by:
                    JoinRequest.objects.create(
                        community=community,
                        user=user,
                        answers=self.answers(community),
                        status=JoinRequestStatus.APPROVED,
                        created_at=at - timedelta(hours=self.rng.randint(2, 30)),
                        decided_at=at,
                        decided_by=self.users[m.approved_by],
                    )
                memberships[m.handle] = membership_join(
                    user=user, community=community, invite=invite, actor=user, at=at
                )
                self.counts["memberships"] += 1
            elif action == "leave":
                memberships[args["handle"]] = membership_leave(membership=memberships[args["handle"]], at=at)
            elif action == "promote":
                membership = memberships[args["handle"]]
                if membership.is_active:
                    memberships[args["handle"]] = membership_set_role(
                        membership=membership, role=Role.MODERATOR, actor=self.users[args["by"]], at=at
                    )
            elif action == "thread":
                kind = ThreadKind.WELCOME if args["space"] == "introductions" else ThreadKind.DISCUSSION
                threads[args["key"]] = thread_create(
                    author=memberships[args["author"]],
                    space=spaces[args["space"]],
                    title=args["title"],
                    body_md=args["body"],
                    kind=kind,
                    pinned=kind == ThreadKind.WELCOME and at < community.created_at + timedelta(days=1),
                    at=at,
                )
                self.counts["threads"] += 1
                self.counts["posts"] += 1
            elif action == "reply":
                thread = threads[args["key"]]
                post_create(author=memberships[args["author"]], thread=thread, body_md=args["body"], at=at)
                self.counts["posts"] += 1

    def create_community(self, spec: dict, owner: str, at: datetime) -> Community:
        community = community_create(
            owner=self.users[owner],
            name=spec["name"],
            slug=spec["slug"],
            purpose=spec["purpose"],
            visibility=spec["visibility"],
            join_policy=spec["join_policy"],
            guidelines_md=spec["guidelines_md"],
            welcome_message_md=spec["welcome_message_md"],
            screening_questions=spec["screening_questions"],
            time_zone=spec["time_zone"],
            created_at=at,
        )
        Space.objects.filter(community=community, slug="general").update(created_at=at)
        for position, (name, slug, description) in enumerate(spec["spaces"], start=1):
            Space.objects.create(
                community=community,
                name=name,
                slug=slug,
                description=description,
                position=position,
                created_at=at,
            )
        self.counts["communities"] += 1
        self.counts["memberships"] += 1
        return community

    def use_invite(
        self,
        community: Community,
        invites: dict[str, Invite],
        memberships: dict[str, Membership],
        inviter: str,
        user: User,
        at: datetime,
    ) -> Invite:
        """Redeem the inviter's current link, making a new one when it is used up or expired."""
        invite = invites.get(inviter)
        if invite is None or not invite.is_usable(at=at):
            inviter_membership = memberships[inviter]
            staff = inviter_membership.role in (Role.OWNER, Role.MODERATOR)
            created = max(at - timedelta(hours=self.rng.randint(1, 72)), inviter_membership.joined_at)
            invite = Invite.objects.create(
                community=community,
                created_by=self.users[inviter],
                created_by_staff=staff,
                token=secrets.token_urlsafe(32),
                note="Group link for early members" if staff else "",
                created_at=created,
                expires_at=created + timedelta(days=7),
                max_uses=10 if staff else 1,
            )
            invites[inviter] = invite
            self.counts["invites"] += 1
        InviteRedemption.objects.create(invite=invite, user=user, at=at)
        invite.uses += 1
        invite.save(update_fields=["uses"])
        return invite

    def answers(self, community: Community) -> list[dict[str, str]]:
        pairs = self.rng.choice(data.JOIN_REQUEST_ANSWERS[community.slug])
        questions = community.screening_questions
        return [{"question": q, "answer": pairs[i % len(pairs)]} for i, q in enumerate(questions)]

    def pending_requests(self) -> None:
        community = Community.objects.get(slug="balcony-gardeners")
        for i, handle in enumerate(PENDING_APPLICANTS):
            answers = data.JOIN_REQUEST_ANSWERS[community.slug][i]
            JoinRequest.objects.create(
                community=community,
                user=self.users[handle],
                answers=[
                    {"question": q, "answer": answers[n]} for n, q in enumerate(community.screening_questions)
                ],
                created_at=self.now - timedelta(days=1 + i, hours=3),
            )

    def open_invite(self) -> None:
        """One fresh multi-use link the person trying the demo can open."""
        community = Community.objects.get(slug="indie-makers")
        Invite.objects.create(
            community=community,
            created_by=self.users[OWNERS["indie-makers"]],
            created_by_staff=True,
            token=secrets.token_urlsafe(32),
            note=self.OPEN_INVITE_NOTE,
            created_at=self.now,
            expires_at=self.now + timedelta(days=7),
            max_uses=5,
        )
        self.counts["invites"] += 1

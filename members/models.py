"""People, their place in communities, and how they got there."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

handle_validator = RegexValidator(
    r"^[A-Za-z0-9_]{3,30}$",
    "A handle has 3 to 30 letters, digits or underscores (it is how people @mention you).",
)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, handle: str, email: str, password: str | None, **extra: object) -> User:
        if not handle:
            raise ValueError("A handle is required")
        user = self.model(handle=handle, email=self.normalize_email(email or "").lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, handle: str, email: str = "", password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(handle, email, password, **extra)

    def create_superuser(
        self, handle: str, email: str = "", password: str | None = None, **extra: object
    ) -> User:
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create(handle, email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> User:
        # Log in by handle case-insensitively (handles are unique ignoring case).
        return self.get(handle__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """A person (or a system account, ``is_bot``) on this Hearth site."""

    handle = models.CharField(
        max_length=30,
        unique=True,
        validators=[handle_validator],
        help_text="Used for @mentions. Letters, digits and underscores.",
    )
    email = models.EmailField("email address", blank=True)
    display_name = models.CharField(max_length=80, blank=True)
    is_staff = models.BooleanField("site operator", default=False)
    is_active = models.BooleanField(default=True)
    # System accounts (e.g. the ritual poster). Metrics ignore them everywhere.
    is_bot = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    time_zone = models.CharField(max_length=64, default="UTC")
    # Set by a site operator (admin) when mail to this address bounces: nothing is emailed then.
    email_undeliverable = models.BooleanField(
        default=False, help_text="Mail to this address bounces: send no email at all."
    )

    objects = UserManager()

    USERNAME_FIELD = "handle"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["email"]

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("handle"), name="user_handle_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.handle

    @property
    def name(self) -> str:
        return self.display_name or self.handle

    def get_full_name(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("profile", args=[self.handle])

    def get_short_name(self) -> str:
        return self.name


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    MODERATOR = "moderator", "Moderator"
    WELCOMER = "welcomer", "Welcomer"
    TOPIC_LEAD = "topic_lead", "Topic lead"
    MEMBER = "member", "Member"


# Rank used for "at least this role" checks. Welcomers and topic leads are members with duties.
ROLE_RANK = {
    Role.MEMBER: 0,
    Role.WELCOMER: 1,
    Role.TOPIC_LEAD: 1,
    Role.MODERATOR: 2,
    Role.OWNER: 3,
}
STAFF_ROLES = frozenset({Role.OWNER, Role.MODERATOR})


class MembershipStatus(models.TextChoices):
    ACTIVE = "active", "Member"
    LEFT = "left", "Left"
    BANNED = "banned", "Banned"


class Membership(models.Model):
    """The current state of one person in one community (history is in MembershipEvent)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    status = models.CharField(max_length=8, choices=MembershipStatus.choices, default=MembershipStatus.ACTIVE)
    joined_at = models.DateTimeField(default=timezone.now)  # start of the current (or last) period
    first_joined_at = models.DateTimeField(default=timezone.now)
    left_at = models.DateTimeField(null=True, blank=True)
    # The invite that brought them in for the first time (referral attribution).
    invite = models.ForeignKey(
        "members.Invite", null=True, blank=True, on_delete=models.SET_NULL, related_name="memberships"
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    muted_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "community"], name="membership_user_community_unique"),
        ]
        indexes = [models.Index(fields=["community", "status", "role"])]

    def __str__(self) -> str:
        return f"{self.user} in {self.community} ({self.role}, {self.status})"

    @property
    def is_active(self) -> bool:
        return self.status == MembershipStatus.ACTIVE

    @property
    def is_staff(self) -> bool:
        return self.is_active and self.role in STAFF_ROLES

    @property
    def rank(self) -> int:
        return ROLE_RANK[Role(self.role)] if self.is_active else -1

    def is_muted(self, at: object = None) -> bool:
        now = at or timezone.now()
        return bool(self.muted_until and self.muted_until > now)


class MembershipEventKind(models.TextChoices):
    JOINED = "joined", "Joined"
    LEFT = "left", "Left"
    BANNED = "banned", "Banned"
    UNBANNED = "unbanned", "Unbanned"
    ROLE_CHANGED = "role_changed", "Role changed"


class MembershipEvent(models.Model):
    """Append-only history: joins, leaves, bans and role changes with who and when.

    ``role`` is the role in force *after* the event; metrics compute "role at the time" and
    "member at the time" from this table.
    """

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="events")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=MembershipEventKind.choices)
    role = models.CharField(max_length=16, choices=Role.choices)
    previous_role = models.CharField(max_length=16, choices=Role.choices, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    invite = models.ForeignKey(
        "members.Invite", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["community", "at"]), models.Index(fields=["community", "user", "at"])]

    def __str__(self) -> str:
        return f"{self.user} {self.kind} {self.community} at {self.at:%Y-%m-%d %H:%M}"


class Invite(models.Model):
    """An invite link. The token is 256 random bits (``secrets.token_urlsafe(32)``)."""

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="invites")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="invites_created"
    )
    # Whether the creator was staff (owner/moderator) when creating it: referral attribution.
    created_by_staff = models.BooleanField(default=False)
    token = models.CharField(max_length=64, unique=True)
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    max_uses = models.PositiveIntegerField(null=True, blank=True, default=1)  # null = unlimited
    uses = models.PositiveIntegerField(default=0)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["community", "created_at"])]

    def __str__(self) -> str:
        return f"invite to {self.community} by {self.created_by}"

    def get_absolute_url(self) -> str:
        return reverse("invite-landing", args=[self.token])

    def is_usable(self, at: object = None) -> bool:
        now = at or timezone.now()
        if self.revoked_at is not None:
            return False
        if self.expires_at is not None and self.expires_at <= now:
            return False
        return self.max_uses is None or self.uses < self.max_uses


class InviteRedemption(models.Model):
    """Each use of an invite (a multi-use link has several)."""

    invite = models.ForeignKey(Invite, on_delete=models.CASCADE, related_name="redemptions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["invite", "user"], name="invite_redemption_unique")]


class JoinRequestStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"


class JoinRequest(models.Model):
    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="join_requests"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="join_requests")
    # [{"question": "...", "answer": "..."}] in the order the questions were asked.
    answers = models.JSONField(default=list, blank=True)
    status = models.CharField(
        max_length=10, choices=JoinRequestStatus.choices, default=JoinRequestStatus.PENDING
    )
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(blank=True)

    class Meta:
        constraints = [
            # At most one pending request per person per community.
            models.UniqueConstraint(
                fields=["community", "user"],
                condition=models.Q(status="pending"),
                name="joinrequest_one_pending",
            )
        ]
        indexes = [models.Index(fields=["community", "status", "created_at"])]


class AccountClaim(models.Model):
    """A one-time link that lets a person take over a placeholder account made by an import.

    An imported community's members who could not be matched to an account here (by verified
    email) get a placeholder account (no password). The importing owner receives one claim link
    per placeholder and passes it on; whoever opens it sets an email and password and the
    placeholder - with its posts, reactions and membership history - becomes their account.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="claim")
    community = models.ForeignKey(
        "communities.Community", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)

    def get_absolute_url(self) -> str:
        return reverse("account-claim", args=[self.token])


class DeferredTask(models.Model):
    """A Celery task call that could not reach the broker; re-sent by a periodic sweep."""

    task_name = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"{self.task_name} (deferred {self.created_at:%Y-%m-%d %H:%M})"


# The rooms' models (members.notifications, members.profiles, members.submissions,
# members.messages, members.tokens) are registered with this app by importing them here; they keep
# the app label "members".
from members.messages import models as _message_models  # noqa: E402, F401
from members.notifications import models as _notification_models  # noqa: E402, F401
from members.profiles import models as _profile_models  # noqa: E402, F401
from members.submissions import models as _submission_models  # noqa: E402, F401
from members.tokens import models as _token_models  # noqa: E402, F401

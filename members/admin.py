from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from members.models import Invite, JoinRequest, Membership, MembershipEvent, User
from members.notifications.models import DigestRun, NotificationEmail
from members.profiles.models import MutedMember, Profile
from members.tokens.models import ApiToken
from members.tokens.services import tokens_revoke_all


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["handle"]
    list_display = [
        "handle",
        "email",
        "display_name",
        "is_staff",
        "is_bot",
        "is_active",
        "email_undeliverable",
    ]
    search_fields = ["handle", "email", "display_name"]
    list_filter = ["is_staff", "is_bot", "is_active", "email_undeliverable"]
    actions = ["mark_email_undeliverable", "mark_email_deliverable", "revoke_api_tokens"]
    fieldsets = [
        (None, {"fields": ["handle", "email", "email_undeliverable", "password"]}),
        ("Profile", {"fields": ["display_name", "time_zone"]}),
        (
            "Status",
            {"fields": ["is_active", "is_bot", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["handle", "email", "password1", "password2"]})]

    @admin.action(description="Mark email undeliverable (send them nothing)")
    def mark_email_undeliverable(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        count = queryset.update(email_undeliverable=True)
        self.message_user(
            request, f"{count} address(es) marked undeliverable: no email will be sent to them."
        )

    @admin.action(description="Mark email deliverable again")
    def mark_email_deliverable(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        count = queryset.update(email_undeliverable=False)
        self.message_user(request, f"{count} address(es) marked deliverable.")

    @admin.action(description="Revoke all their API tokens")
    def revoke_api_tokens(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        count = tokens_revoke_all(user_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"{count} API token(s) revoked.")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are listed and revoked here; the secret itself is never stored, so never shown."""

    list_display = [
        "name",
        "user",
        "prefix",
        "community",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["revoked_at"]
    search_fields = ["user__handle", "name", "prefix"]
    raw_id_fields = ["user", "community"]
    readonly_fields = ["prefix", "digest", "scopes", "created_at", "last_used_at"]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # made on the person's settings page, where the secret is shown once

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"{count} API token(s) revoked.")


admin.site.register(Membership)
admin.site.register(MembershipEvent)
admin.site.register(Invite)
admin.site.register(JoinRequest)


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "digest_frequency", "digest_hour", "last_seen_at", "share_email_in_exports"]
    search_fields = ["user__handle", "user__email"]
    raw_id_fields = ["user"]


@admin.register(NotificationEmail)
class NotificationEmailAdmin(admin.ModelAdmin):
    list_display = ["notification_id", "recipient", "status", "reason", "attempts", "created_at", "sent_at"]
    list_filter = ["status"]
    search_fields = ["recipient__handle", "recipient__email"]
    raw_id_fields = ["notification", "recipient", "digest"]


@admin.register(DigestRun)
class DigestRunAdmin(admin.ModelAdmin):
    list_display = [
        "user",
        "period_key",
        "status",
        "thread_count",
        "reply_count",
        "notification_count",
        "sent_at",
    ]
    list_filter = ["status"]
    search_fields = ["user__handle", "period_key"]
    raw_id_fields = ["user"]


@admin.register(MutedMember)
class MutedMemberAdmin(admin.ModelAdmin):
    list_display = ["user", "muted_user", "created_at"]
    raw_id_fields = ["user", "muted_user"]

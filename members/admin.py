from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from members.models import Invite, JoinRequest, Membership, MembershipEvent, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["handle"]
    list_display = ["handle", "email", "display_name", "is_staff", "is_bot", "is_active"]
    search_fields = ["handle", "email", "display_name"]
    list_filter = ["is_staff", "is_bot", "is_active"]
    fieldsets = [
        (None, {"fields": ["handle", "email", "password"]}),
        ("Profile", {"fields": ["display_name", "time_zone"]}),
        (
            "Status",
            {"fields": ["is_active", "is_bot", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["handle", "email", "password1", "password2"]})]


admin.site.register(Membership)
admin.site.register(MembershipEvent)
admin.site.register(Invite)
admin.site.register(JoinRequest)

from django.urls import path

from members.views import data, email, invites, join, memberships, notifications, profiles, settings

urlpatterns = [
    path("invite/accept/", invites.invite_accept, name="invite-accept"),
    path("invite/<str:token>/", invites.invite_landing, name="invite-landing"),
    path("u/<str:handle>/", profiles.profile, name="profile"),
    path("notifications/", notifications.notification_list, name="notifications"),
    path("notifications/read/", notifications.notification_mark_read, name="notifications-mark-read"),
    path(
        "notifications/<int:notification_id>/open/", notifications.notification_open, name="notification-open"
    ),
    # Community-scoped membership pages.
    path("c/<slug:slug>/members/", memberships.members_list, name="members-list"),
    path("c/<slug:slug>/members/<int:membership_id>/role/", memberships.member_role, name="member-role"),
    path("c/<slug:slug>/leave/", memberships.community_leave, name="community-leave"),
    path("c/<slug:slug>/join/", join.community_join, name="community-join"),
    path("c/<slug:slug>/join/pending/", join.join_pending, name="join-pending"),
    path("c/<slug:slug>/join/withdraw/", join.join_withdraw, name="join-withdraw"),
    path("c/<slug:slug>/requests/", join.join_requests, name="join-requests"),
    path(
        "c/<slug:slug>/requests/<int:request_id>/approve/",
        join.join_request_approve_view,
        name="join-request-approve",
    ),
    path(
        "c/<slug:slug>/requests/<int:request_id>/reject/",
        join.join_request_reject_view,
        name="join-request-reject",
    ),
    path("c/<slug:slug>/invites/", invites.invites_page, name="invites"),
    path("c/<slug:slug>/invites/<int:invite_id>/", invites.invite_detail, name="invite-detail"),
    path("c/<slug:slug>/invites/<int:invite_id>/revoke/", invites.invite_revoke_view, name="invite-revoke"),
    path("me/data/", data.my_data, name="my-data"),
    path("me/data/download/", data.my_data_download, name="my-data-download"),
    path("me/delete/", data.account_delete_view, name="account-delete"),
    path("claim/<str:token>/", data.claim, name="account-claim"),
    path("u/<str:handle>/mute/", profiles.profile_mute, name="profile-mute"),
    path("u/<str:handle>/unmute/", profiles.profile_unmute, name="profile-unmute"),
    path("settings/", settings.settings_home, name="settings"),
    path("settings/profile/", settings.settings_profile, name="settings-profile"),
    path("settings/privacy/", settings.settings_privacy, name="settings-privacy"),
    path("settings/notifications/", settings.settings_notifications, name="settings-notifications"),
    path("settings/muted/", settings.settings_muted, name="settings-muted"),
    path("settings/muted/<int:user_id>/unmute/", settings.settings_unmute, name="settings-unmute"),
    path("media/avatars/<str:name>", profiles.avatar_file, name="avatar-file"),
    path("email/unsubscribe/<str:token>/", email.unsubscribe, name="email-unsubscribe"),
]

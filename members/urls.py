from django.urls import path

from members.views import email, invites, notifications, profiles, settings

urlpatterns = [
    path("invite/<str:token>/", invites.invite_landing, name="invite-landing"),
    path("u/<str:handle>/", profiles.profile, name="profile"),
    path("notifications/", notifications.notification_list, name="notifications"),
    path("notifications/read/", notifications.notification_mark_read, name="notifications-mark-read"),
    path(
        "notifications/<int:notification_id>/open/", notifications.notification_open, name="notification-open"
    ),
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

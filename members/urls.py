from django.urls import path

from members.views import data, email, invites, profiles, settings

urlpatterns = [
    path("invite/<str:token>/", invites.invite_landing, name="invite-landing"),
    path("u/<str:handle>/", profiles.profile, name="profile"),
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

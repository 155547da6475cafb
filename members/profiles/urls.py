"""Routes of profiles and personal settings."""

from django.urls import path

from members.profiles import views

urlpatterns = [
    path("u/<str:handle>/", views.profile, name="profile"),
    path("u/<str:handle>/mute/", views.profile_mute, name="profile-mute"),
    path("u/<str:handle>/unmute/", views.profile_unmute, name="profile-unmute"),
    path("settings/", views.settings_home, name="settings"),
    path("settings/profile/", views.settings_profile, name="settings-profile"),
    path("settings/privacy/", views.settings_privacy, name="settings-privacy"),
    path("settings/notifications/", views.settings_notifications, name="settings-notifications"),
    path("settings/muted/", views.settings_muted, name="settings-muted"),
    path("settings/muted/<int:user_id>/unmute/", views.settings_unmute, name="settings-unmute"),
    path("media/avatars/<str:name>", views.avatar_file, name="avatar-file"),
]

from django.urls import path

from members.views import invites, notifications, profiles

urlpatterns = [
    path("invite/<str:token>/", invites.invite_landing, name="invite-landing"),
    path("u/<str:handle>/", profiles.profile, name="profile"),
    path("notifications/", notifications.notification_list, name="notifications"),
    path("notifications/read/", notifications.notification_mark_read, name="notifications-mark-read"),
    path(
        "notifications/<int:notification_id>/open/", notifications.notification_open, name="notification-open"
    ),
]

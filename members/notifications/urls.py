"""Routes of notifications and email unsubscribe."""

from django.urls import path

from members.notifications import views

urlpatterns = [
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/read/", views.notification_mark_read, name="notifications-mark-read"),
    path("notifications/<int:notification_id>/open/", views.notification_open, name="notification-open"),
    path("email/unsubscribe/<str:token>/", views.unsubscribe, name="email-unsubscribe"),
]

from django.urls import path

from members.messages import views

urlpatterns = [
    path("messages/", views.inbox, name="messages-inbox"),
    path("messages/read/", views.inbox_mark_read, name="messages-mark-all-read"),
    path("messages/new/", views.conversation_new, name="messages-new"),
    path("messages/settings/", views.messaging_settings, name="messages-settings"),
    path("messages/block/<str:handle>/", views.block, name="messages-block"),
    path("messages/<int:conversation_id>/", views.conversation, name="messages-conversation"),
    path("messages/<int:conversation_id>/send/", views.conversation_send, name="messages-send"),
    path("messages/<int:conversation_id>/poll/", views.conversation_poll, name="messages-poll"),
    path("messages/<int:conversation_id>/read/", views.conversation_read, name="messages-read"),
    path("messages/<int:conversation_id>/mute/", views.conversation_mute, name="messages-mute"),
    path("messages/<int:conversation_id>/leave/", views.conversation_leave, name="messages-leave"),
    path("messages/<int:conversation_id>/m/<int:message_id>/edit/", views.message_edit, name="messages-edit"),
    path(
        "messages/<int:conversation_id>/m/<int:message_id>/delete/",
        views.message_delete,
        name="messages-delete",
    ),
    path(
        "messages/<int:conversation_id>/m/<int:message_id>/report/",
        views.message_report,
        name="messages-report",
    ),
    path("c/<slug:slug>/settings/messages/", views.community_settings, name="messages-community-settings"),
    path("c/<slug:slug>/mod/messages/", views.staff_inbox, name="messages-staff-inbox"),
    path("c/<slug:slug>/mod/messages/new/", views.modnote_new, name="messages-modnote-new"),
    path(
        "c/<slug:slug>/mod/messages/<int:conversation_id>/",
        views.staff_conversation,
        name="messages-staff-conversation",
    ),
    path(
        "c/<slug:slug>/mod/message-reports/<int:report_id>/",
        views.report_resolve,
        name="messages-report-resolve",
    ),
]

from django.urls import path

from moderation import views

urlpatterns = [
    path("c/<slug:slug>/mod/", views.queue, name="mod-queue"),
    path("c/<slug:slug>/mod/requests/<int:request_id>/", views.queue_join, name="mod-queue-join"),
    path("c/<slug:slug>/mod/flags/<int:post_id>/", views.queue_flag, name="mod-queue-flag"),
    path("c/<slug:slug>/mod/held/<int:post_id>/", views.queue_held, name="mod-queue-held"),
    path("c/<slug:slug>/mod/posts/<int:post_id>/", views.post_moderate, name="mod-post"),
    path("c/<slug:slug>/mod/members/", views.members, name="mod-members"),
    path("c/<slug:slug>/mod/members/<str:handle>/", views.member, name="mod-member"),
    path("c/<slug:slug>/mod/filters/", views.word_filters, name="mod-word-filters"),
    path(
        "c/<slug:slug>/mod/filters/<int:filter_id>/delete/",
        views.word_filter_delete,
        name="mod-word-filter-delete",
    ),
    path("c/<slug:slug>/mod/settings/", views.moderation_settings, name="mod-settings"),
    path("c/<slug:slug>/mod/log/", views.audit_log, name="mod-log"),
    path("c/<slug:slug>/transparency/", views.transparency, name="transparency-log"),
    path("c/<slug:slug>/p/<int:post_id>/flag/", views.post_flag, name="post-flag"),
    path("c/<slug:slug>/warnings/<int:sanction_id>/ack/", views.warning_ack, name="warning-ack"),
]

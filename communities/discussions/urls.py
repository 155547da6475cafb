"""Routes of threads and posts."""

from django.urls import path, re_path

from communities.discussions import views

urlpatterns = [
    path("c/<slug:slug>/read-all/", views.community_mark_read, name="community-mark-read"),
    path("c/<slug:slug>/new/", views.thread_new, name="thread-new"),
    path("c/<slug:slug>/preview/", views.preview, name="post-preview"),
    path("c/<slug:slug>/t/<int:thread_id>-<str:thread_slug>/", views.thread_detail, name="thread-detail"),
    path("c/<slug:slug>/t/<int:thread_id>/", views.thread_detail, name="thread-detail-short"),
    path("c/<slug:slug>/t/<int:thread_id>/unread/", views.thread_first_unread, name="thread-first-unread"),
    path("c/<slug:slug>/t/<int:thread_id>/reply/", views.thread_reply, name="thread-reply"),
    path("c/<slug:slug>/t/<int:thread_id>/subscribe/", views.thread_subscribe, name="thread-subscribe"),
    re_path(
        r"^c/(?P<slug>[-a-zA-Z0-9_]+)/t/(?P<thread_id>[0-9]+)/(?P<action>pin|unpin|lock|unlock|move)/$",
        views.thread_moderate,
        name="thread-moderate",
    ),
    path("c/<slug:slug>/p/<int:post_id>/", views.post_permalink, name="post-permalink"),
    path("c/<slug:slug>/p/<int:post_id>/edit/", views.post_edit, name="post-edit"),
    path("c/<slug:slug>/p/<int:post_id>/history/", views.post_history, name="post-history"),
    path("c/<slug:slug>/p/<int:post_id>/delete/", views.post_delete, name="post-delete"),
    path("c/<slug:slug>/p/<int:post_id>/restore/", views.post_restore, name="post-restore"),
    path("c/<slug:slug>/p/<int:post_id>/react/", views.post_react, name="post-react"),
]

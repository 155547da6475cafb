from django.urls import include, path, re_path

from communities.views import community, search, spaces, threads

urlpatterns = [
    path("search/", search.global_search, name="search"),
    path("c/<slug:slug>/", community.community_home, name="community-home"),
    path("c/<slug:slug>/read-all/", threads.community_mark_read, name="community-mark-read"),
    path("c/<slug:slug>/new/", threads.thread_new, name="thread-new"),
    path("c/<slug:slug>/preview/", threads.preview, name="post-preview"),
    path("c/<slug:slug>/search/", search.community_search, name="community-search"),
    path("c/<slug:slug>/spaces/", spaces.space_list, name="space-list"),
    path("c/<slug:slug>/spaces/new/", spaces.space_new, name="space-new"),
    path("c/<slug:slug>/spaces/<int:space_id>/edit/", spaces.space_edit, name="space-edit"),
    path("c/<slug:slug>/spaces/<int:space_id>/delete/", spaces.space_delete, name="space-delete"),
    path("communities/", community.community_directory, name="community-directory"),
    path("communities/new/", community.community_new, name="community-new"),
    path("", include("communities.urls_export")),
    path("c/<slug:slug>/guidelines/", community.community_guidelines, name="community-guidelines"),
    path("c/<slug:slug>/settings/", community.community_settings, name="community-settings"),
    path("c/<slug:slug>/settings/hand-over/", community.community_hand_over, name="community-hand-over"),
    path("c/<slug:slug>/t/<int:thread_id>-<str:thread_slug>/", threads.thread_detail, name="thread-detail"),
    path("c/<slug:slug>/t/<int:thread_id>/", threads.thread_detail, name="thread-detail-short"),
    path("c/<slug:slug>/t/<int:thread_id>/unread/", threads.thread_first_unread, name="thread-first-unread"),
    path("c/<slug:slug>/t/<int:thread_id>/reply/", threads.thread_reply, name="thread-reply"),
    path("c/<slug:slug>/t/<int:thread_id>/subscribe/", threads.thread_subscribe, name="thread-subscribe"),
    re_path(
        r"^c/(?P<slug>[-a-zA-Z0-9_]+)/t/(?P<thread_id>[0-9]+)/(?P<action>pin|unpin|lock|unlock|move)/$",
        threads.thread_moderate,
        name="thread-moderate",
    ),
    path("c/<slug:slug>/p/<int:post_id>/", threads.post_permalink, name="post-permalink"),
    path("c/<slug:slug>/p/<int:post_id>/edit/", threads.post_edit, name="post-edit"),
    path("c/<slug:slug>/p/<int:post_id>/history/", threads.post_history, name="post-history"),
    path("c/<slug:slug>/p/<int:post_id>/delete/", threads.post_delete, name="post-delete"),
    path("c/<slug:slug>/p/<int:post_id>/restore/", threads.post_restore, name="post-restore"),
    path("c/<slug:slug>/p/<int:post_id>/react/", threads.post_react, name="post-react"),
]

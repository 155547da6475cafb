from django.urls import path

from communities.views import community, threads

urlpatterns = [
    path("communities/", community.community_directory, name="community-directory"),
    path("communities/new/", community.community_new, name="community-new"),
    path("c/<slug:slug>/", community.community_home, name="community-home"),
    path("c/<slug:slug>/guidelines/", community.community_guidelines, name="community-guidelines"),
    path("c/<slug:slug>/settings/", community.community_settings, name="community-settings"),
    path("c/<slug:slug>/settings/hand-over/", community.community_hand_over, name="community-hand-over"),
    path("c/<slug:slug>/t/<int:thread_id>-<str:thread_slug>/", threads.thread_detail, name="thread-detail"),
    path("c/<slug:slug>/t/<int:thread_id>/", threads.thread_detail, name="thread-detail-short"),
]

from django.urls import include, path

from communities.views import community, threads

urlpatterns = [
    path("", include("communities.urls_export")),
    path("c/<slug:slug>/", community.community_home, name="community-home"),
    path("c/<slug:slug>/t/<int:thread_id>-<str:thread_slug>/", threads.thread_detail, name="thread-detail"),
    path("c/<slug:slug>/t/<int:thread_id>/", threads.thread_detail, name="thread-detail-short"),
]

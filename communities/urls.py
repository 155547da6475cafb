from django.urls import path

from communities.views import community, threads

urlpatterns = [
    path("c/<slug:slug>/", community.community_home, name="community-home"),
    path("c/<slug:slug>/t/<int:thread_id>-<str:thread_slug>/", threads.thread_detail, name="thread-detail"),
    path("c/<slug:slug>/t/<int:thread_id>/", threads.thread_detail, name="thread-detail-short"),
]

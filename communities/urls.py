from django.urls import path

from communities import views

urlpatterns = [
    path("c/<slug:slug>/", views.community_home, name="community-home"),
    path("c/<slug:slug>/t/<int:thread_id>-<str:thread_slug>/", views.thread_detail, name="thread-detail"),
    path("c/<slug:slug>/t/<int:thread_id>/", views.thread_detail, name="thread-detail-short"),
]

from django.urls import path

from communities.tags import views

urlpatterns = [
    path("c/<slug:slug>/tags/", views.tag_list, name="tag-list"),
    path("c/<slug:slug>/tags/settings/", views.tag_settings, name="tag-settings"),
    path("c/<slug:slug>/tags/<int:tag_id>/edit/", views.tag_edit, name="tag-edit"),
    path("c/<slug:slug>/tags/<int:tag_id>/delete/", views.tag_delete, name="tag-delete"),
    path("c/<slug:slug>/t/<int:thread_id>/tags/", views.thread_tags_edit, name="thread-tags"),
]

from django.urls import path

from communities.highlights import views

urlpatterns = [
    path("c/<slug:slug>/highlights/", views.highlights, name="highlights"),
    path("c/<slug:slug>/p/<int:post_id>/feature/", views.post_feature, name="post-feature"),
    path("c/<slug:slug>/p/<int:post_id>/unfeature/", views.post_unfeature, name="post-unfeature"),
]

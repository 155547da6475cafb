"""Routes of search (site-wide and per community)."""

from django.urls import path

from communities.search import views

urlpatterns = [
    path("search/", views.global_search, name="search"),
    path("c/<slug:slug>/search/", views.community_search, name="community-search"),
]

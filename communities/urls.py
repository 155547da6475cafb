"""Routes of communities: the community pages and spaces, then each room's own routes."""

from django.urls import include, path

from communities import views

urlpatterns = [
    path("c/<slug:slug>/", views.community_home, name="community-home"),
    path("c/<slug:slug>/spaces/", views.space_list, name="space-list"),
    path("c/<slug:slug>/spaces/new/", views.space_new, name="space-new"),
    path("c/<slug:slug>/spaces/<int:space_id>/edit/", views.space_edit, name="space-edit"),
    path("c/<slug:slug>/spaces/<int:space_id>/delete/", views.space_delete, name="space-delete"),
    path("communities/", views.community_directory, name="community-directory"),
    path("communities/new/", views.community_new, name="community-new"),
    path("c/<slug:slug>/guidelines/", views.community_guidelines, name="community-guidelines"),
    path("c/<slug:slug>/settings/", views.community_settings, name="community-settings"),
    path("c/<slug:slug>/settings/hand-over/", views.community_hand_over, name="community-hand-over"),
    path("", include("communities.search.urls")),
    path("", include("communities.portability.urls")),
    path("", include("communities.rituals.urls")),
    path("", include("communities.onboarding.urls")),
    path("", include("communities.integrations.urls")),
    path("", include("communities.discussions.urls")),
    path("", include("communities.events.urls")),
    path("", include("communities.polls.urls")),
    path("", include("communities.tags.urls")),
    path("", include("communities.highlights.urls")),
    path("", include("communities.needs_reply.urls")),
]

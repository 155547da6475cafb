"""Routes for rituals and onboarding (included from config/urls.py)."""

from django.urls import path

from communities.views import onboarding, rituals

urlpatterns = [
    path("c/<slug:slug>/rituals/", rituals.ritual_list, name="ritual-list"),
    path("c/<slug:slug>/rituals/library/", rituals.ritual_library, name="ritual-library"),
    path("c/<slug:slug>/rituals/new/", rituals.ritual_new, name="ritual-new"),
    path("c/<slug:slug>/rituals/<int:ritual_id>/", rituals.ritual_detail, name="ritual-detail"),
    path("c/<slug:slug>/rituals/<int:ritual_id>/edit/", rituals.ritual_edit, name="ritual-edit"),
    path("c/<slug:slug>/rituals/<int:ritual_id>/pause/", rituals.ritual_pause, name="ritual-pause"),
    path("c/<slug:slug>/rituals/<int:ritual_id>/delete/", rituals.ritual_remove, name="ritual-delete"),
    path("c/<slug:slug>/welcome/", onboarding.welcome, name="welcome"),
    path("c/<slug:slug>/welcome/dismiss/", onboarding.checklist_dismiss, name="checklist-dismiss"),
    path("c/<slug:slug>/onboarding/", onboarding.onboarding_settings, name="onboarding-settings"),
    path("c/<slug:slug>/newcomers/", onboarding.newcomers, name="newcomers"),
    path(
        "c/<slug:slug>/newcomers/<int:membership_id>/greeted/",
        onboarding.newcomer_greeted,
        name="newcomer-greeted",
    ),
]

"""Routes of onboarding: the welcome page, checklist, newcomers and the welcome message."""

from django.urls import path

from communities.onboarding import views

urlpatterns = [
    path("c/<slug:slug>/welcome/", views.welcome, name="welcome"),
    path("c/<slug:slug>/welcome/dismiss/", views.checklist_dismiss, name="checklist-dismiss"),
    path("c/<slug:slug>/onboarding/", views.onboarding_settings, name="onboarding-settings"),
    path("c/<slug:slug>/newcomers/", views.newcomers, name="newcomers"),
    path(
        "c/<slug:slug>/newcomers/<int:membership_id>/greeted/",
        views.newcomer_greeted,
        name="newcomer-greeted",
    ),
]

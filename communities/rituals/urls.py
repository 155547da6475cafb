"""Routes of rituals."""

from django.urls import path

from communities.rituals import views

urlpatterns = [
    path("c/<slug:slug>/rituals/", views.ritual_list, name="ritual-list"),
    path("c/<slug:slug>/rituals/library/", views.ritual_library, name="ritual-library"),
    path("c/<slug:slug>/rituals/new/", views.ritual_new, name="ritual-new"),
    path("c/<slug:slug>/rituals/<int:ritual_id>/", views.ritual_detail, name="ritual-detail"),
    path("c/<slug:slug>/rituals/<int:ritual_id>/edit/", views.ritual_edit, name="ritual-edit"),
    path("c/<slug:slug>/rituals/<int:ritual_id>/pause/", views.ritual_pause, name="ritual-pause"),
    path("c/<slug:slug>/rituals/<int:ritual_id>/delete/", views.ritual_remove, name="ritual-delete"),
]

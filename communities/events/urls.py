"""Routes for events and the calendar feed (included from config/urls.py)."""

from django.urls import path

from communities.events import views

urlpatterns = [
    path("c/<slug:slug>/events/", views.event_list, name="event-list"),
    path("c/<slug:slug>/events/new/", views.event_new, name="event-new"),
    path("c/<slug:slug>/events/<int:event_id>/", views.event_detail, name="event-detail"),
    path("c/<slug:slug>/events/<int:event_id>/edit/", views.event_edit, name="event-edit"),
    path("c/<slug:slug>/events/<int:event_id>/cancel/", views.event_cancel, name="event-cancel"),
    path("c/<slug:slug>/events/<int:event_id>/rsvp/", views.event_rsvp, name="event-rsvp"),
    path("c/<slug:slug>/events/<int:event_id>/event.ics", views.event_ics, name="event-ics"),
    path("c/<slug:slug>/events/<int:event_id>/questions/", views.question_ask, name="event-question-ask"),
    path("c/<slug:slug>/questions/<int:question_id>/vote/", views.question_vote, name="event-question-vote"),
    path(
        "c/<slug:slug>/questions/<int:question_id>/answer/",
        views.question_answer,
        name="event-question-answer",
    ),
    path("settings/calendar/", views.calendar_settings, name="calendar-settings"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar-feed"),
]

from django.urls import path

from communities.polls import views

urlpatterns = [
    path("c/<slug:slug>/t/<int:thread_id>/polls/new/", views.poll_new, name="poll-new"),
    path("c/<slug:slug>/polls/<int:poll_id>/vote/", views.poll_vote, name="poll-vote"),
    path("c/<slug:slug>/polls/<int:poll_id>/close/", views.poll_close, name="poll-close"),
    path("c/<slug:slug>/polls/<int:poll_id>/voters/", views.poll_voters, name="poll-voters"),
]

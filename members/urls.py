"""Routes of membership: invites, joining, requests, members and roles; then each room's routes."""

from django.urls import include, path

from members import views

urlpatterns = [
    path("invite/accept/", views.invite_accept, name="invite-accept"),
    path("invite/<str:token>/", views.invite_landing, name="invite-landing"),
    # Community-scoped membership pages.
    path("c/<slug:slug>/members/", views.members_list, name="members-list"),
    path("c/<slug:slug>/members/<int:membership_id>/role/", views.member_role, name="member-role"),
    path("c/<slug:slug>/leave/", views.community_leave, name="community-leave"),
    path("c/<slug:slug>/join/", views.community_join, name="community-join"),
    path("c/<slug:slug>/join/pending/", views.join_pending, name="join-pending"),
    path("c/<slug:slug>/join/withdraw/", views.join_withdraw, name="join-withdraw"),
    path("c/<slug:slug>/requests/", views.join_requests, name="join-requests"),
    path(
        "c/<slug:slug>/requests/<int:request_id>/approve/",
        views.join_request_approve_view,
        name="join-request-approve",
    ),
    path(
        "c/<slug:slug>/requests/<int:request_id>/reject/",
        views.join_request_reject_view,
        name="join-request-reject",
    ),
    path("c/<slug:slug>/invites/", views.invites_page, name="invites"),
    path("c/<slug:slug>/invites/<int:invite_id>/", views.invite_detail, name="invite-detail"),
    path("c/<slug:slug>/invites/<int:invite_id>/revoke/", views.invite_revoke_view, name="invite-revoke"),
    path("", include("members.notifications.urls")),
    path("", include("members.profiles.urls")),
    path("", include("members.account.urls")),
]

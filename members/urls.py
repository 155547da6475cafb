from django.urls import path

from members.views import invites, profiles

urlpatterns = [
    path("invite/<str:token>/", invites.invite_landing, name="invite-landing"),
    path("u/<str:handle>/", profiles.profile, name="profile"),
]

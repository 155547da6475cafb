from django.urls import path

from members.views import data, invites, profiles

urlpatterns = [
    path("invite/<str:token>/", invites.invite_landing, name="invite-landing"),
    path("u/<str:handle>/", profiles.profile, name="profile"),
    path("me/data/", data.my_data, name="my-data"),
    path("me/data/download/", data.my_data_download, name="my-data-download"),
    path("me/delete/", data.account_delete_view, name="account-delete"),
    path("claim/<str:token>/", data.claim, name="account-claim"),
]

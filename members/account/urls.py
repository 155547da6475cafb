"""Routes of personal data, account deletion and account claims."""

from django.urls import path

from members.account import views

urlpatterns = [
    path("me/data/", views.my_data, name="my-data"),
    path("me/data/download/", views.my_data_download, name="my-data-download"),
    path("me/delete/", views.account_delete_view, name="account-delete"),
    path("claim/<str:token>/", views.claim, name="account-claim"),
]

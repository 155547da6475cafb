from django.urls import path

from members.tokens import views

urlpatterns = [
    path("settings/tokens/", views.tokens_page, name="settings-tokens"),
    path("settings/tokens/<int:token_id>/revoke/", views.token_revoke, name="settings-token-revoke"),
]

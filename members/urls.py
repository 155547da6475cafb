from django.urls import path

from members import views

urlpatterns = [
    path("invite/<str:token>/", views.invite_landing, name="invite-landing"),
    path("u/<str:handle>/", views.profile, name="profile"),
]

from django.urls import path

from communities.needs_reply import views

urlpatterns = [
    path("c/<slug:slug>/mod/needs-reply/", views.needs_reply, name="needs-reply"),
]

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from communities.home import views as home_views
from config import live, views
from config.api import api
from members.account import views as account_views

urlpatterns = [
    path("", home_views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("live/bell/", live.bell_live, name="live-bell"),
    path("live/c/<slug:slug>/t/<int:thread_id>/", live.thread_live, name="live-thread"),
    # allauth's login view, answering its failed-login limit with 429 + Retry-After.
    path("accounts/login/", account_views.hearth_login, name="account_login"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("", include("members.urls")),
    path("", include("members.messages.urls")),  # private messages
    path("", include("members.tokens.urls")),
    path("", include("moderation.urls")),
    path("", include("metrics.urls")),
    path("", include("communities.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Error views that never read the request body again (config/views.py).
handler400 = "config.views.bad_request"
handler403 = "config.views.permission_denied"
handler404 = "config.views.page_not_found"
handler500 = "config.views.server_error"

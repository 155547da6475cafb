from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from config import views
from config.api import api
from members.account import views as account_views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    # allauth's login view, answering its failed-login limit with 429 + Retry-After.
    path("accounts/login/", account_views.hearth_login, name="account_login"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("", include("members.urls")),
    path("", include("members.tokens.urls")),
    path("", include("moderation.urls")),
    path("", include("metrics.urls")),
    path("", include("communities.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

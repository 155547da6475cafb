from django.urls import path

from communities.integrations import feeds, views

urlpatterns = [
    # Webhooks: the owner's pages, under the community's settings.
    path("c/<slug:slug>/settings/webhooks/", views.webhook_list, name="webhook-list"),
    path("c/<slug:slug>/settings/webhooks/new/", views.webhook_new, name="webhook-new"),
    path("c/<slug:slug>/settings/webhooks/<int:webhook_id>/", views.webhook_detail, name="webhook-detail"),
    path(
        "c/<slug:slug>/settings/webhooks/<int:webhook_id>/rotate/",
        views.webhook_rotate,
        name="webhook-rotate",
    ),
    path("c/<slug:slug>/settings/webhooks/<int:webhook_id>/test/", views.webhook_test, name="webhook-test"),
    path(
        "c/<slug:slug>/settings/webhooks/<int:webhook_id>/delete/",
        views.webhook_delete,
        name="webhook-delete",
    ),
    path(
        "c/<slug:slug>/settings/webhooks/<int:webhook_id>/deliveries/",
        views.delivery_log,
        name="webhook-deliveries",
    ),
    path(
        "c/<slug:slug>/settings/webhooks/<int:webhook_id>/deliveries/<int:delivery_id>/",
        views.delivery_detail,
        name="webhook-delivery",
    ),
    # Feeds: public communities for anyone; personal links for members.
    path("c/<slug:slug>/feed/atom/", feeds.PublicFeed(), name="feed-public-atom"),
    path("c/<slug:slug>/feed/rss/", feeds.PublicRssFeed(), name="feed-public-rss"),
    path("c/<slug:slug>/spaces/<slug:space_slug>/feed/atom/", feeds.PublicFeed(), name="feed-space-atom"),
    path("c/<slug:slug>/spaces/<slug:space_slug>/feed/rss/", feeds.PublicRssFeed(), name="feed-space-rss"),
    path("feeds/<str:token>/atom/", feeds.PersonalFeed(), name="feed-personal-atom"),
    path("feeds/<str:token>/rss/", feeds.PersonalRssFeed(), name="feed-personal-rss"),
    path(
        "feeds/<str:token>/spaces/<slug:space_slug>/atom/",
        feeds.PersonalFeed(),
        name="feed-personal-space-atom",
    ),
    path(
        "feeds/<str:token>/spaces/<slug:space_slug>/rss/",
        feeds.PersonalRssFeed(),
        name="feed-personal-space-rss",
    ),
    # The member's feed links (settings).
    path("settings/feeds/", views.feed_settings, name="settings-feeds"),
    path("settings/feeds/<slug:slug>/new/", views.feed_link_new, name="feed-link-new"),
    path("settings/feeds/<slug:slug>/revoke/", views.feed_link_revoke, name="feed-link-revoke"),
]

"""Atom and RSS feeds of a community's newest threads (Django's syndication framework).

* Public communities: ``/c/<slug>/feed/atom/`` (and ``rss``), per space
  ``/c/<slug>/spaces/<space>/feed/atom/``: anyone, restricted spaces left out. Other
  communities: 404 there.
* Any community a member belongs to: their personal link ``/feeds/<token>/atom/`` (and
  ``rss``, and ``/feeds/<token>/spaces/<space>/atom/``), showing what that member may see now.
  Unknown, revoked, left or banned: 404.

Each feed runs a fixed number of queries, whatever the number of items.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.syndication.views import Feed
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed, SyndicationFeed

from communities.discussions.models import Thread
from communities.integrations import selectors, services
from communities.models import Space
from members import access


@dataclass
class FeedSource:
    acc: access.CommunityAccess
    space: Space | None
    threads: list[Thread]
    self_url: str


class _ThreadFeed(Feed):
    """What both feed kinds share: one item per thread, its opening post as the content."""

    feed_type: type[SyndicationFeed] = Atom1Feed

    def title(self, obj: FeedSource) -> str:
        if obj.space is not None:
            return f"{obj.acc.community.name} · {obj.space.name}"
        return obj.acc.community.name

    def subtitle(self, obj: FeedSource) -> str:
        return obj.acc.community.purpose

    description = subtitle  # RSS calls it description

    def link(self, obj: FeedSource) -> str:
        url = selectors.absolute(obj.acc.community.get_absolute_url())
        return f"{url}?space={obj.space.slug}" if obj.space is not None else url

    def feed_url(self, obj: FeedSource) -> str:
        return selectors.absolute(obj.self_url)

    def items(self, obj: FeedSource) -> list[Thread]:
        return obj.threads

    def item_title(self, item: Thread) -> str:
        return item.title

    def item_description(self, item: Thread) -> str:
        # The opening post's HTML (selectors.feed_threads), sanitized when written.
        return str(getattr(item, "opening_html", ""))

    def item_link(self, item: Thread) -> str:
        return selectors.absolute(item.get_absolute_url())

    def item_pubdate(self, item: Thread):
        return item.created_at

    def item_updateddate(self, item: Thread):
        return item.created_at

    def item_author_name(self, item: Thread) -> str | None:
        return item.author.name if item.author else None

    def item_categories(self, item: Thread) -> list[str]:
        return [item.space.name]


class PublicFeed(_ThreadFeed):
    """A public community (or one of its open spaces), for anyone."""

    def get_object(self, request: HttpRequest, slug: str, space_slug: str | None = None) -> FeedSource:
        acc = access.community_for_public_feed(slug)
        space = access.feed_space(acc, space_slug) if space_slug else None
        threads = selectors.feed_threads(community=acc.community, membership=None, space=space)
        return FeedSource(acc=acc, space=space, threads=threads, self_url=request.path)


class PublicRssFeed(PublicFeed):
    feed_type = Rss201rev2Feed


class PersonalFeed(_ThreadFeed):
    """A member's feed through their secret link: what they may see, never cached by others."""

    def get_object(self, request: HttpRequest, token: str, space_slug: str | None = None) -> FeedSource:
        acc, token_row = access.feed_for_token(token)
        space = access.feed_space(acc, space_slug) if space_slug else None
        threads = selectors.feed_threads(community=acc.community, membership=acc.membership, space=space)
        services.feed_token_touch(token_row)
        return FeedSource(acc=acc, space=space, threads=threads, self_url=request.path)

    def __call__(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        response = super().__call__(request, *args, **kwargs)
        # The URL is a secret: keep it out of shared caches, search engines and Referer headers.
        response["Cache-Control"] = "private, no-store"
        response["X-Robots-Tag"] = "noindex"
        response["Referrer-Policy"] = "no-referrer"
        return response


class PersonalRssFeed(PersonalFeed):
    feed_type = Rss201rev2Feed


def public_feed_urls(slug: str) -> dict[str, str]:
    return {
        "atom": reverse("feed-public-atom", args=[slug]),
        "rss": reverse("feed-public-rss", args=[slug]),
    }

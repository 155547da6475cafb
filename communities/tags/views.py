"""Tag pages: the community's tags (everyone who reads it; owners manage them) and a thread's
tags (its author and the staff)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from communities import services as communities_services
from communities.discussions import selectors as discussion_selectors
from communities.tags import selectors, services
from communities.tags.forms import TagForm, TagSettingsForm, ThreadTagsForm
from members import access


def _tags_url(slug: str) -> str:
    return reverse("tag-list", args=[slug])


@require_http_methods(["GET", "POST"])
def tag_list(request: HttpRequest, slug: str) -> HttpResponse:
    """Every tag with the number of threads the viewer can see; owners add tags here."""
    if request.method == "POST":
        acc = access.community_for_tag_manager(request.user, slug)
    else:
        acc = access.community_for_reader(request.user, slug)
    form = TagForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            tag = services.tag_create(
                community=acc.community,
                actor=acc.member,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
            )
        except ValidationError as exc:
            for msg in exc.messages:
                form.add_error("name", msg)
        else:
            messages.success(request, f"Tag “{tag.name}” added.")
            return redirect(_tags_url(slug))
    visible = discussion_selectors.thread_list(community=acc.community, membership=acc.membership)
    tags = selectors.tags_with_counts(acc.community, visible)
    return render(
        request,
        "communities/tags/list.html",
        {
            "community": acc.community,
            "access": acc,
            "nav": "tags",
            "tags": tags,
            "form": form,
            "can_manage": access.can_manage_tags(acc.membership),
            "settings_form": TagSettingsForm(
                initial={"members_may_add_tags": acc.community.members_may_add_tags}
            ),
        },
        status=400 if form.errors else 200,
    )


@require_POST
def tag_settings(request: HttpRequest, slug: str) -> HttpResponse:
    acc = access.community_for_tag_manager(request.user, slug)
    form = TagSettingsForm(request.POST)
    form.is_valid()  # a checkbox: always valid
    communities_services.community_update(
        community=acc.community,
        actor=acc.member.user,
        members_may_add_tags=form.cleaned_data.get("members_may_add_tags", False),
    )
    messages.success(request, "Saved.")
    return redirect(_tags_url(slug))


@require_http_methods(["GET", "POST"])
def tag_edit(request: HttpRequest, slug: str, tag_id: int) -> HttpResponse:
    tag, acc = access.tag_for_manager(request.user, slug, tag_id)
    form = TagForm(request.POST or None, initial={"name": tag.name, "description": tag.description})
    if request.method == "POST" and form.is_valid():
        try:
            services.tag_update(
                tag=tag, name=form.cleaned_data["name"], description=form.cleaned_data["description"]
            )
        except ValidationError as exc:
            for msg in exc.messages:
                form.add_error("name", msg)
        else:
            messages.success(request, "Tag saved.")
            return redirect(_tags_url(slug))
    return render(
        request,
        "communities/tags/edit.html",
        {"community": acc.community, "access": acc, "nav": "tags", "tag": tag, "form": form},
        status=400 if form.errors else 200,
    )


@require_POST
def tag_delete(request: HttpRequest, slug: str, tag_id: int) -> HttpResponse:
    tag, _ = access.tag_for_manager(request.user, slug, tag_id)
    services.tag_delete(tag=tag)
    messages.success(request, f"Tag “{tag.name}” deleted; threads that had it keep everything else.")
    return redirect(_tags_url(slug))


@require_http_methods(["GET", "POST"])
def thread_tags_edit(request: HttpRequest, slug: str, thread_id: int) -> HttpResponse:
    thread, acc = access.thread_for_tagger(request.user, slug, thread_id)
    tags = selectors.community_tags(acc.community)
    current = [t.pk for t in selectors.thread_tags(thread)]
    can_add = services.can_create_tags(acc.community, acc.membership)
    form = ThreadTagsForm(
        request.POST or None, tags=tags, can_add=can_add, initial={"tags": [str(pk) for pk in current]}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.thread_set_tags(
                actor=acc.member, thread=thread, tag_ids=form.tag_ids(), new_names=form.new_names()
            )
        except ValidationError as exc:
            for msg in exc.messages:
                form.add_error(None, msg)
        else:
            messages.success(request, "Tags saved.")
            return redirect(thread.get_absolute_url())
    return render(
        request,
        "communities/tags/thread_tags.html",
        {"community": acc.community, "access": acc, "thread": thread, "form": form},
        status=400 if form.errors else 200,
    )

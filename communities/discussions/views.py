"""Discussion pages: threads and posts. Views are thin: access, then a selector or service."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from communities import markdown as communities_markdown
from communities.discussions import post_blocks, selectors, services, thread_rows
from communities.discussions.composer import Composed, compose, with_retry_after
from communities.discussions.forms import MoveThreadForm, PostEditForm, ReplyForm, ThreadForm
from communities.discussions.models import Post, ReactionKind, SubscriptionLevel, Thread
from communities.highlights import selectors as highlight_selectors
from communities.models import Visibility
from communities.needs_reply import selectors as needs_reply_selectors
from communities.polls import selectors as poll_selectors
from communities.polls import services as poll_services
from communities.polls.forms import PollForm
from communities.tags import selectors as tag_selectors
from communities.tags import services as tag_services
from communities.tags.forms import ThreadTagsForm
from config.inputs import parse_int
from config.middleware import cache_publicly
from members import access
from members.submissions.services import submit_once
from moderation import services as moderation_services
from moderation.hooks import PostingRefused, moderation_check_react


def _post_base(slug: str) -> str:
    """The "/c/<slug>/p/" prefix: post URLs are this plus "<id>/" and an action."""
    return reverse("post-permalink", args=[slug, 0])[: -len("0/")]


def _thread_url(thread: Thread, page: int | None = None, anchor: str = "") -> str:
    url = reverse("thread-detail", args=[thread.community.slug, thread.pk, thread.slug or "thread"])
    if page and page > 1:
        url += f"?page={page}"
    return url + (f"#{anchor}" if anchor else "")


def _thread_context(
    request: HttpRequest, thread: Thread, acc: access.CommunityAccess, page_number: object
) -> dict:
    membership = acc.membership
    user_id = membership.user_id if membership else None
    visible = selectors.thread_posts(thread=thread, membership=membership)
    # Paginate over post ids only: the page's ids are found in a narrow subquery, and only those
    # rows are joined and annotated, so the last page of a long thread costs what the first does.
    paginator = Paginator(visible.values_list("pk", flat=True), selectors.POSTS_PER_PAGE)
    last_read = getattr(thread, "marker", None)
    level = getattr(thread, "level", None)
    if hasattr(thread, "n_posts"):
        paginator.__dict__["count"] = thread.n_posts  # counted in the thread query: no COUNT
    page = paginator.get_page(paginator.num_pages if page_number == "last" else page_number)
    # Posts by members the viewer muted are flagged in the posts query and shown collapsed.
    posts = list(
        highlight_selectors.with_featured(selectors.with_muted_authors(visible, user_id)).filter(
            pk__in=page.object_list
        )
    )
    # The page's reactions in one query over its post ids (not a GROUP BY over the thread).
    reactions = selectors.reaction_summary([p.pk for p in posts], user_id)
    is_staff = access.is_staff(membership)
    can_reply = membership is not None and (not thread.locked or is_staff)
    p_base = _post_base(acc.community.slug)
    u_base = reverse("profile", args=["x"])[: -len("x/")]
    viewer = post_blocks.PageViewer(
        membership=membership,
        is_staff=is_staff,
        can_reply=can_reply,
        community_slug=acc.community.slug,
        p_base=p_base,
        u_base=u_base,
    )
    links = post_blocks.page_links(acc.community.slug)
    values = [
        post_blocks.block_values(
            p,
            viewer=viewer,
            reactions=reactions[p.pk],
            is_new=membership is not None and last_read is not None and p.pk > last_read,
            links=links,
        )
        for p in posts
    ]
    blocks = post_blocks.blocks_for_page(request, values, viewer)
    rows = [{"post": p, "html": html} for p, html in zip(posts, blocks, strict=True)]
    # Long threads: offer the jump whenever the first unread post may be on another page
    # (the target works it out, and lands on the composer when everything is read).
    has_unread_elsewhere = membership is not None and last_read is not None and page.has_other_pages()
    # Polls sit under the opening post, on the first page (at most two queries, none on others).
    polls = []
    if page.number == 1 and getattr(thread, "has_polls", True):
        polls = poll_selectors.thread_polls(
            thread_id=thread.pk,
            user_id=user_id,
            is_member=membership is not None,
            manager_id=user_id,
            is_staff=is_staff,
            thread_locked=thread.locked,
        )
    return {
        "polls": polls,
        "can_add_poll": access.can_add_poll(membership, thread),
        "thread_tag_list": tag_selectors.thread_tags(thread) if getattr(thread, "has_tags", True) else [],
        "can_tag": access.can_tag_thread(membership, thread),
        "community": acc.community,
        "access": acc,
        "thread": thread,
        "page": page,
        "rows": rows,
        "reactions_enabled": membership is not None,
        "last_read": last_read,
        "subscription": level,
        "is_staff": is_staff,
        "jump_unread": has_unread_elsewhere,
        "can_reply": can_reply,
        "p_base": p_base,
        "u_base": u_base,
    }


def _page_annotations(membership: object) -> dict:
    """What the thread page reads with the thread itself: the reader state and whether the
    thread has polls or tags (their queries run only when it has)."""
    return {
        **selectors.reader_annotations(membership),  # type: ignore[arg-type]
        "has_polls": poll_selectors.has_polls(),
        "has_tags": tag_selectors.has_tags(),
    }


@require_GET
def thread_detail(request: HttpRequest, slug: str, thread_id: int, thread_slug: str = "") -> HttpResponse:
    thread, acc = access.thread_for_reader(request.user, slug, thread_id, annotate=_page_annotations)
    ctx = _thread_context(request, thread, acc, request.GET.get("page"))
    reply_to = None
    initial = {}
    reply_to_id = parse_int(request.GET.get("reply_to"))
    if acc.membership is not None and reply_to_id is not None:
        reply_to = (
            selectors.thread_posts(thread=thread, membership=acc.membership)
            .filter(pk=reply_to_id, removed_at__isnull=True)
            .first()
        )
        if reply_to is not None:
            quoted = "\n".join("> " + line for line in reply_to.body_md[:400].splitlines())
            initial = {"reply_to": reply_to.pk, "body": f"{quoted}\n\n"}
    ctx["form"] = ReplyForm(initial=initial)
    ctx["reply_to"] = reply_to
    if acc.membership is not None and ctx["rows"]:
        # Reading a page moves the reader's own marker; it changes nothing anyone else sees.
        services.thread_mark_read(
            user_id=acc.membership.user_id,
            thread_id=thread.pk,
            post_id=max(r["post"].pk for r in ctx["rows"]),
            known=ctx["last_read"],
        )
    response = render(request, "communities/thread.html", ctx)
    if acc.community.visibility == Visibility.PUBLIC:
        cache_publicly(request, response)
    return response


@require_GET
def thread_first_unread(request: HttpRequest, slug: str, thread_id: int) -> HttpResponse:
    thread, acc = access.thread_for_reader(request.user, slug, thread_id)
    if acc.membership is None:
        return redirect(_thread_url(thread))
    post = selectors.first_unread_post(thread=thread, membership=acc.membership)
    if post is None:
        last = selectors.thread_posts(thread=thread, membership=acc.membership).last()
        if last is None:
            return redirect(_thread_url(thread))
        last_page = selectors.post_position(post=last, membership=acc.membership)
        return redirect(_thread_url(thread, last_page, "composer"))
    page = selectors.post_position(post=post, membership=acc.membership)
    return redirect(_thread_url(thread, page, f"post-{post.pk}"))


@require_GET
def post_permalink(request: HttpRequest, slug: str, post_id: int) -> HttpResponse:
    post, acc = access.post_for_reader(request.user, slug, post_id)
    thread, acc = access.thread_for_reader(request.user, slug, post.thread_id)
    post.thread = thread
    page = selectors.post_position(post=post, membership=acc.membership)
    return redirect(_thread_url(thread, page, f"post-{post.pk}"))


@require_http_methods(["GET", "POST"])
def thread_new(request: HttpRequest, slug: str) -> HttpResponse:
    acc = access.community_for_member(request.user, slug)
    spaces = selectors.visible_spaces(acc.community, acc.membership)
    initial = {}
    wanted = request.GET.get("space")
    if wanted:
        initial["space"] = next((s.pk for s in spaces if s.slug == wanted), None)
    form = ThreadForm(request.POST or None, spaces=spaces, initial=initial)
    # The composer's optional parts: tags, and a poll (both prefixed, both plain form fields).
    tform = ThreadTagsForm(
        request.POST or None,
        prefix="tags",
        tags=tag_selectors.community_tags(acc.community),
        can_add=tag_services.can_create_tags(acc.community, acc.membership),
    )
    pform = PollForm(request.POST or None, prefix="poll", tz=acc.community.tz, required=False)
    done = Composed()
    if request.method == "POST":

        @transaction.atomic  # a refused tag or poll leaves no thread behind
        def write() -> Thread:
            thread = services.thread_create(
                author=acc.membership,
                space=form.cleaned_data["space"],
                title=form.cleaned_data["title"],
                body_md=form.cleaned_data["body"],
            )
            if tform.tag_ids() or tform.new_names():
                tag_services.thread_set_tags(
                    actor=acc.membership, thread=thread, tag_ids=tform.tag_ids(), new_names=tform.new_names()
                )
            if pform.wanted:
                poll_services.poll_create(author=acc.membership, thread=thread, **pform.poll_kwargs())
            return thread

        if tform.is_valid() & pform.is_valid():
            done = compose(
                request,
                form,
                # A repeat of the same form (double click, resend) returns the first thread.
                lambda: submit_once(
                    user_id=acc.membership.user_id,
                    key=form.cleaned_data["submission_key"],
                    scope="thread",
                    create=write,
                    load=lambda pk: Thread.objects.filter(pk=pk).first(),
                )[0],
            )
        else:
            form.is_valid()  # its own errors show too
        if done.response is not None:
            return done.response
        if done.result is not None:
            messages.success(request, "Your thread is up.")
            return redirect(_thread_url(done.result))
    response = render(
        request,
        "communities/thread_new.html",
        {
            "community": acc.community,
            "access": acc,
            "form": form,
            "tform": tform,
            "pform": pform,
            "preview": done.preview,
        },
        status=400 if form.errors or tform.errors or pform.errors else 200,
    )
    return with_retry_after(response, done.retry_after)


@require_POST
def thread_reply(request: HttpRequest, slug: str, thread_id: int) -> HttpResponse:
    # The page's annotations too: a refused reply shows the thread page again, as it was.
    thread, acc = access.thread_for_member(request.user, slug, thread_id, annotate=_page_annotations)
    form = ReplyForm(request.POST)

    def write() -> Post:
        reply_to = None
        if form.cleaned_data.get("reply_to"):
            reply_to = Post.objects.filter(pk=form.cleaned_data["reply_to"], thread=thread).first()
        # A repeat of the same form (double click, resend) returns the first post.
        post, _ = submit_once(
            user_id=acc.membership.user_id,
            key=form.cleaned_data["submission_key"],
            scope="reply",
            create=lambda: services.post_create(
                author=acc.membership, thread=thread, body_md=form.cleaned_data["body"], reply_to=reply_to
            ),
            load=lambda pk: Post.objects.filter(pk=pk).first(),
        )
        return post

    done = compose(request, form, write)
    if done.response is not None:
        return done.response
    if done.result is not None:
        return redirect(reverse("post-permalink", args=[acc.community.slug, done.result.pk]))
    preview, retry_after = done.preview, done.retry_after
    # Show the last page with the composer, keeping what was typed.
    ctx = _thread_context(request, thread, acc, "last")
    ctx["form"] = form
    ctx["preview"] = preview
    ctx["reply_to"] = None
    if form.is_valid() and form.cleaned_data.get("reply_to"):
        ctx["reply_to"] = (
            Post.objects.filter(pk=form.cleaned_data["reply_to"], thread=thread)
            .select_related("author")
            .first()
        )
    response = render(request, "communities/thread.html", ctx, status=200 if preview is not None else 400)
    return with_retry_after(response, retry_after)


@require_POST
def preview(request: HttpRequest, slug: str) -> HttpResponse:
    """htmx live preview: the same renderer as posting, nothing is saved."""
    access.community_for_member(request.user, slug)
    body = request.POST.get("body", "")
    error = ""
    html = ""
    if len(body) > services.MAX_BODY_CHARS:
        error = f"Posts are limited to {services.MAX_BODY_CHARS:,} characters (this one has {len(body):,})."
    else:
        try:
            html = communities_markdown.render_user_markdown(body) if body.strip() else ""
        except ValidationError as exc:
            error = " ".join(exc.messages)
    return render(request, "communities/_preview.html", {"preview": html, "preview_error": error})


@require_http_methods(["GET", "POST"])
def post_edit(request: HttpRequest, slug: str, post_id: int) -> HttpResponse:
    post, acc = access.post_for_member(request.user, slug, post_id)
    if not access.can_edit_post(acc.membership, post):
        raise PermissionDenied("Only the author can edit this post.")
    initial = {"body": post.body_md, "title": post.thread.title}
    form = PostEditForm(request.POST or None, initial=initial, is_opening=post.is_opening)
    done = Composed()
    if request.method == "POST":
        done = compose(
            request,
            form,
            lambda: services.post_edit(
                editor=acc.membership,
                post=post,
                body_md=form.cleaned_data["body"],
                title=form.cleaned_data.get("title"),
            ),
        )
        if done.response is not None:
            return done.response
        if done.result is not None:
            messages.success(request, "Saved. The earlier version is kept in the post's history.")
            return redirect(reverse("post-permalink", args=[acc.community.slug, post.pk]))
    response = render(
        request,
        "communities/post_edit.html",
        {
            "community": acc.community,
            "access": acc,
            "post": post,
            "thread": post.thread,
            "form": form,
            "preview": done.preview,
        },
        status=400 if form.errors else 200,
    )
    return with_retry_after(response, done.retry_after)


@require_GET
def post_history(request: HttpRequest, slug: str, post_id: int) -> HttpResponse:
    post, acc = access.post_for_reader(request.user, slug, post_id)
    if not access.can_see_post_history(acc.membership, post):
        if acc.membership is None:
            access.community_for_member(request.user, slug)
        raise PermissionDenied("Only the author and moderators can see a post's history.")
    return render(
        request,
        "communities/post_history.html",
        {
            "community": acc.community,
            "access": acc,
            "post": post,
            "thread": post.thread,
            "revisions": selectors.post_revisions(post),
        },
    )


@require_POST
def post_delete(request: HttpRequest, slug: str, post_id: int) -> HttpResponse:
    post, acc = access.post_for_member(request.user, slug, post_id)
    if not access.can_edit_post(acc.membership, post):
        raise PermissionDenied("Only the author can delete this post.")
    services.post_delete(actor=acc.membership, post=post)
    messages.success(request, "Post deleted. You can restore it from the thread if it was a mistake.")
    if post.is_opening:
        return redirect(acc.community.get_absolute_url())
    return redirect(reverse("post-permalink", args=[acc.community.slug, post.pk]))


@require_POST
def post_restore(request: HttpRequest, slug: str, post_id: int) -> HttpResponse:
    post, acc = access.post_for_member(request.user, slug, post_id)
    if not access.can_restore_post(acc.membership, post):
        raise PermissionDenied("Only the author can restore a post they deleted.")
    moderation_services.post_restore(actor=acc.membership, post=post)
    messages.success(request, "Post restored.")
    return redirect(reverse("post-permalink", args=[acc.community.slug, post.pk]))


@require_POST
def post_react(request: HttpRequest, slug: str, post_id: int) -> HttpResponse:
    post, acc = access.post_for_member(request.user, slug, post_id)
    kind = request.POST.get("kind", "")
    if kind not in ReactionKind.values:
        return HttpResponse("Unknown reaction.", status=400, content_type="text/plain")
    try:
        # Muted members can read but not react (PostingRefused says until when).
        moderation_check_react(acc.membership)
        services.reaction_toggle(user_id=acc.membership.user_id, post=post, kind=kind)
    except ValidationError as exc:
        message = " ".join(exc.messages)
        if request.htmx:
            status = 403 if isinstance(exc, PostingRefused) else 400
            return HttpResponse(message, status=status, content_type="text/plain")
        messages.error(request, message)
    if request.htmx:
        summary = selectors.reaction_summary([post.pk], acc.membership.user_id)[post.pk]
        return render(
            request,
            "communities/_reactions.html",
            {
                "post": post,
                "reactions": summary,
                "community": acc.community,
                "reactions_enabled": True,
                "p_base": _post_base(acc.community.slug),
            },
        )
    return redirect(reverse("post-permalink", args=[acc.community.slug, post.pk]))


@require_POST
def thread_subscribe(request: HttpRequest, slug: str, thread_id: int) -> HttpResponse:
    thread, acc = access.thread_for_member(request.user, slug, thread_id)
    level = request.POST.get("level", "")
    if level not in {*SubscriptionLevel.values, "default"}:
        return HttpResponse("Unknown choice.", status=400, content_type="text/plain")
    services.thread_subscribe(
        user_id=acc.membership.user_id, thread=thread, level=None if level == "default" else level
    )
    labels = {
        "following": "You follow this thread.",
        "muted": "Muted: this thread won't notify you.",
        "default": "Back to default notifications.",
    }
    messages.success(request, labels[level])
    return redirect(_thread_url(thread))


@require_http_methods(["GET", "POST"])
def thread_moderate(request: HttpRequest, slug: str, thread_id: int, action: str) -> HttpResponse:
    thread, acc = access.thread_for_staff(request.user, slug, thread_id)
    if request.method == "GET":
        if action != "move":
            return HttpResponse("Use the buttons on the thread page.", status=405, content_type="text/plain")
        form = MoveThreadForm(
            initial={"space": thread.space_id}, spaces=selectors.visible_spaces(acc.community, acc.membership)
        )
        return render(
            request,
            "communities/thread_move.html",
            {"community": acc.community, "access": acc, "thread": thread, "form": form},
        )
    if action == "pin":
        services.thread_set_pinned(actor=acc.membership, thread=thread, pinned=True)
    elif action == "unpin":
        services.thread_set_pinned(actor=acc.membership, thread=thread, pinned=False)
    elif action == "lock":
        services.thread_set_locked(actor=acc.membership, thread=thread, locked=True)
    elif action == "unlock":
        services.thread_set_locked(actor=acc.membership, thread=thread, locked=False)
    elif action == "move":
        form = MoveThreadForm(request.POST, spaces=selectors.visible_spaces(acc.community, acc.membership))
        if not form.is_valid():
            messages.error(request, "Choose a space to move the thread to.")
            return redirect(_thread_url(thread))
        services.thread_move(actor=acc.membership, thread=thread, space=form.cleaned_data["space"])
    else:
        raise Http404
    done = {
        "pin": "Pinned.",
        "unpin": "Unpinned.",
        "lock": "Locked: only moderators can reply now.",
        "unlock": "Unlocked.",
        "move": f"Moved to {thread.space.name}.",
    }
    messages.success(request, done[action])
    return redirect(_thread_url(thread))


@require_POST
def community_mark_read(request: HttpRequest, slug: str) -> HttpResponse:
    acc = access.community_for_member(request.user, slug)
    services.community_mark_all_read(user_id=acc.membership.user_id, community=acc.community)
    messages.success(request, "All threads marked read.")
    return redirect(acc.community.get_absolute_url())


def thread_list_context(request: HttpRequest, acc: access.CommunityAccess) -> dict:
    """The community home's thread list (used by community_home): filter by space, paginate."""
    space = None
    spaces = selectors.visible_spaces(acc.community, acc.membership)
    if request.GET.get("space"):
        space = access.space_for_reader(acc, request.GET["space"], spaces)
    qs = selectors.thread_list(community=acc.community, membership=acc.membership, space=space)
    # Tags: shown on every row (one query for the page), filter by one (?tag=slug), and the
    # "no reply yet" filter (?filter=unanswered), oldest waiting first like the staff's view.
    tags = tag_selectors.community_tags(acc.community)
    current_tag = None
    if request.GET.get("tag"):
        current_tag = tag_selectors.find_tag(tags, request.GET["tag"])
        if current_tag is None:
            raise Http404
        qs = tag_selectors.tagged(qs, current_tag)
    unanswered = request.GET.get("filter") == "unanswered"
    if unanswered:
        qs = needs_reply_selectors.unanswered(qs, hours=acc.community.needs_reply_hours).order_by(
            "created_at", "id"
        )
    if tags:  # a community without tags needs no query for the rows' tags
        qs = tag_selectors.with_tags(qs)
    # No COUNT(*): fetch one row more than a page to know whether there is an older page.
    number = parse_int(request.GET.get("page"), 1, minimum=1, maximum=10_000)
    size = selectors.THREADS_PER_PAGE
    rows = list(qs[(number - 1) * size : number * size + 1])
    thread_rows.attach_rows(
        request, rows[:size], base=acc.community.get_absolute_url(), is_member=acc.is_member
    )
    return {
        "thread_page": {
            "number": number,
            "has_previous": number > 1,
            "has_next": len(rows) > size,
            "previous_page_number": number - 1,
            "next_page_number": number + 1,
        },
        "threads": rows[:size],
        "current_space": space,
        "spaces": spaces,
        "tags": tags,
        "current_tag": current_tag,
        "unanswered": unanswered,
        "needs_reply_hours": acc.community.needs_reply_hours,
        # The filters in force, for the pagination links ("space=…&tag=…&").
        "filter_qs": "".join(
            f"{urlencode({k: v})}&"
            for k, v in (
                ("space", space.slug if space else ""),
                ("tag", current_tag.slug if current_tag else ""),
                ("filter", "unanswered" if unanswered else ""),
            )
            if v
        ),
    }

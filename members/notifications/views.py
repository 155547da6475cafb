"""In-app notifications: the list, mark read, open."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from config.inputs import parse_int
from members.notifications.emails import unsubscribe_apply, unsubscribe_read
from members.notifications.models import Notification
from members.notifications.selectors import NOTIFICATIONS_PER_PAGE, visible_notifications
from members.notifications.services import unread_count_forget


@require_GET
@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    qs = visible_notifications(request.user)
    if request.GET.get("show") == "unread":
        qs = qs.filter(read_at__isnull=True)
    page = Paginator(qs, NOTIFICATIONS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "members/notifications.html",
        {"page": page, "only_unread": request.GET.get("show") == "unread"},
    )


@require_POST
@login_required
def notification_open(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark one notification read and go to what it is about."""
    n = visible_notifications(request.user).filter(pk=notification_id).first()
    if n is None:
        raise Http404
    if n.read_at is None:
        type(n).objects.filter(pk=n.pk).update(read_at=timezone.now())
        unread_count_forget(request.user.pk)
    if n.url and url_has_allowed_host_and_scheme(n.url, allowed_hosts={request.get_host()}):
        return redirect(n.url)
    return redirect("notifications")


@require_POST
@login_required
def notification_mark_read(request: HttpRequest) -> HttpResponse:
    """Mark one (``id``) or all notifications read."""
    qs = visible_notifications(request.user).filter(read_at__isnull=True)
    notification_id = parse_int(request.POST.get("id"))
    if notification_id is not None:
        qs = qs.filter(pk=notification_id)
    elif request.POST.get("all") != "1":
        return HttpResponse("Say which notification to mark read.", status=400, content_type="text/plain")
    # UPDATE with a join isn't portable: mark by ids (the filtered set is the user's own).

    Notification.objects.filter(pk__in=list(qs.values_list("pk", flat=True)[:1000])).update(
        read_at=timezone.now()
    )
    unread_count_forget(request.user.pk)
    return redirect("notifications")


# The signed token is the credential here, not the session: mail clients send the RFC 8058
# one-click POST ("List-Unsubscribe=One-Click") without any cookie or CSRF token. The only
# thing it can do is turn one email preference off for the person the token names.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    unsub = unsubscribe_read(token)
    if unsub is None:
        return render(request, "members/unsubscribe_invalid.html", status=400)
    done = False
    if request.method == "POST":
        unsubscribe_apply(unsub)
        done = True
    response = render(request, "members/unsubscribe.html", {"unsub": unsub, "token": token, "done": done})
    response["Referrer-Policy"] = "no-referrer"
    return response

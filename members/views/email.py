"""One-click unsubscribe from an email footer: works logged out, changes one preference."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from members.services_email import unsubscribe_apply, unsubscribe_read


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

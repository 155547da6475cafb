"""The client's IP address, the one helper every per-IP limit uses.

Hearth trusts at most ONE reverse proxy (``HEARTH_BEHIND_PROXY=true``, see README). Behind it,
the proxy appends the address that connected to it to ``X-Forwarded-For``, so the client is the
rightmost entry; anything to its left was written by the client and is ignored. Without the
setting, ``X-Forwarded-For`` is ignored entirely (anyone can send it) and ``REMOTE_ADDR`` is used.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _valid(ip: str) -> str | None:
    try:
        return str(ipaddress.ip_address(ip.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str:
    """``REMOTE_ADDR``, or behind the one trusted proxy the rightmost ``X-Forwarded-For`` entry."""
    remote = request.META.get("REMOTE_ADDR", "") or "unknown"
    if getattr(settings, "HEARTH_BEHIND_PROXY", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            ip = _valid(forwarded.split(",")[-1])
            if ip:
                return ip
    return remote

from __future__ import annotations

from django.http import HttpRequest


def inbox(request: HttpRequest) -> dict:
    """Conversations with unread messages, for the header's Messages link (one query)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_conversations": 0}
    from members.messages.selectors import unread_conversation_count

    return {"unread_conversations": unread_conversation_count(user)}

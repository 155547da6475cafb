"""Email backends for tests: they wrap Django's locmem backend (mail.outbox) and fail on cue."""

from __future__ import annotations

import smtplib

from django.core.mail.backends.locmem import EmailBackend as LocmemBackend

# Addresses the "server" refuses for good, and how many transient failures are left.
REFUSED = {"bounce@example.com"}
FAILURES_LEFT = {"count": 0}


class FlakyBackend(LocmemBackend):
    def send_messages(self, messages: list) -> int:
        for message in messages:
            if set(message.to) & REFUSED:
                raise smtplib.SMTPRecipientsRefused({message.to[0]: (550, b"No such user")})
        if FAILURES_LEFT["count"] > 0:
            FAILURES_LEFT["count"] -= 1
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)

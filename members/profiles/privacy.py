"""What of a member's personal data may leave the site, and where it lives.

The one place that knows which people allowed their email address to appear in community
exports (member-list CSV and archives). The setting itself belongs to the member's profile
(privacy settings, default off). This module finds it by shape rather than by name so that the
profile model can evolve without touching the export code: a one-to-one model on the user in
``members`` with a boolean field whose name mentions sharing the email.
"""

from __future__ import annotations

from django.apps import apps
from django.db import models
from django.db.models import Q


def _email_sharing_field() -> tuple[str, str] | None:
    """(related query name from User, boolean field name) of the email-sharing setting, if any."""
    user_model = apps.get_model("members", "User")
    for model in apps.get_app_config("members").get_models():
        link = next(
            (
                f
                for f in model._meta.get_fields()
                if isinstance(f, models.OneToOneField) and f.related_model is user_model
            ),
            None,
        )
        if link is None:
            continue
        for field in model._meta.get_fields():
            name = getattr(field, "name", "")
            if (
                isinstance(field, models.BooleanField)
                and "email" in name
                and ("share" in name or "export" in name)
            ):
                return link.related_query_name(), name
    return None


def email_shared_q(prefix: str = "") -> Q | None:
    """A filter on User (or on ``<prefix>`` + User) for people who allowed their email address in
    exports; None when this site has no such setting (then nobody's email is shared)."""
    found = _email_sharing_field()
    if found is None:
        return None
    relation, field = found
    return Q(**{f"{prefix}{relation}__{field}": True})


def personal_models() -> list[type[models.Model]]:
    """Models of ``members`` that hold one person's settings (profile, notification preferences):
    any members model other than the core ones with a one-to-one or foreign key named ``user``.
    Included whole in the person's data download and erased when they delete their account."""
    core = {
        "User",
        "Membership",
        "MembershipEvent",
        "Invite",
        "InviteRedemption",
        "JoinRequest",
        "Notification",
        "AccountClaim",
    }
    user_model = apps.get_model("members", "User")
    found = []
    for model in apps.get_app_config("members").get_models():
        if model.__name__ in core:
            continue
        field = next((f for f in model._meta.concrete_fields if f.name == "user"), None)
        if field is not None and field.is_relation and field.related_model is user_model:
            found.append(model)
    return found

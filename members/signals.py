"""Receivers: every new user gets a profile row (privacy and email settings with defaults)."""

from __future__ import annotations

from django.db.models.signals import post_save
from django.dispatch import receiver

from members.models import User
from members.profiles.models import Profile


@receiver(post_save, sender=User, dispatch_uid="members.create_profile")
def create_profile(
    sender: type[User], instance: User, created: bool, raw: bool = False, **kwargs: object
) -> None:
    if created and not raw:
        Profile.objects.create(user=instance)

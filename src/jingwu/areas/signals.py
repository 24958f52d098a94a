"""A saved or deleted area makes the next locate ask the database whether the areas changed."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from jingwu.areas.models import Area
from jingwu.areas.services import forget_areas


@receiver(post_save, sender=Area, dispatch_uid="areas.forget_saved")
@receiver(post_delete, sender=Area, dispatch_uid="areas.forget_deleted")
def _area_changed(sender: Any, **kwargs: Any) -> None:
    forget_areas()

"""Log-ins and failed log-ins go to the audit log, whichever door they came through; a saved
or deleted organization drops the cached organization tree."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from jingwu.audit import services as audit
from jingwu.orgs.models import Organization
from jingwu.orgs.tree import forget_tree


@receiver(post_save, sender=Organization, dispatch_uid="orgs.forget_tree_saved")
@receiver(post_delete, sender=Organization, dispatch_uid="orgs.forget_tree_deleted")
def _organization_changed(sender: Any, **kwargs: Any) -> None:
    forget_tree()


@receiver(user_logged_in)
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit.record(
        action="login",
        component="orgs",
        user=user,
        object_type="user",
        object_id=user.pk,
        request=request,
    )


@receiver(user_login_failed)
def _login_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
) -> None:
    audit.record(
        action="login_failed",
        component="orgs",
        object_type="user",
        object_id=str(credentials.get("username", ""))[:64],
        outcome="failed",
        request=request,
    )

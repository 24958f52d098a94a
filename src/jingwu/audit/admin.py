"""Read-only admin for the audit log: searchable, filterable, never editable."""

from django.contrib import admin
from django.http import HttpRequest

from jingwu.audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = (
        "at",
        "username",
        "action",
        "object_type",
        "object_id",
        "component",
        "outcome",
        "client",
    )
    list_filter = ("action", "outcome", "component", "object_type")
    search_fields = ("username", "object_id", "object_type", "client")
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class AuditedAdmin(admin.ModelAdmin):
    """A ModelAdmin whose saves and deletions land in the audit log like any other write."""

    def save_model(self, request: HttpRequest, obj: object, form: object, change: bool) -> None:
        super().save_model(request, obj, form, change)
        _record(request, "update" if change else "create", obj)

    def delete_model(self, request: HttpRequest, obj: object) -> None:
        _record(request, "delete", obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: object) -> None:
        for obj in queryset:  # type: ignore[attr-defined]
            _record(request, "delete", obj)
        super().delete_queryset(request, queryset)


def _record(request: HttpRequest, action: str, obj: object) -> None:
    from jingwu.audit import services

    meta = obj._meta  # type: ignore[attr-defined]
    services.record(
        action=action,
        component="admin",
        object_type=meta.label_lower,
        object_id=obj.pk,
        request=request,  # type: ignore[attr-defined]
    )

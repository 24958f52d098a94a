"""Back office: tiers (configuration), units, shifts and cameras."""

from django.contrib import admin

from jingwu.audit.admin import AuditedAdmin
from jingwu.units.models import Camera, Shift, Tier, Unit


@admin.register(Tier)
class TierAdmin(AuditedAdmin):
    list_display = ("level", "name", "description")


class ShiftInline(admin.TabularInline):
    model = Shift
    extra = 0


@admin.register(Unit)
class UnitAdmin(AuditedAdmin):
    list_display = ("code", "name", "tier", "mode", "workstation", "status", "last_fix_at")
    list_filter = ("tier", "mode", "status", "workstation")
    search_fields = ("code", "name")
    readonly_fields = ("status", "status_changed_at", "current_incident_id", "last_fix_at")
    filter_horizontal = ("members",)
    inlines = [ShiftInline]


@admin.register(Camera)
class CameraAdmin(AuditedAdmin):
    list_display = ("code", "name", "owner", "sees", "is_active")
    list_filter = ("owner", "is_active")
    search_fields = ("code", "name", "sees")

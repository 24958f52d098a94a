"""Back office: incidents with their assignments and timeline (read-mostly)."""

from django.contrib import admin

from jingwu.audit.admin import AuditedAdmin
from jingwu.incidents.models import Assignment, Incident, TimelineEntry, VideoPatrolTask


class AssignmentInline(admin.TabularInline):
    model = Assignment
    extra = 0
    can_delete = False
    readonly_fields = ("unit", "status", "assigned_at", "on_scene_at", "ended_at")


class TimelineInline(admin.TabularInline):
    model = TimelineEntry
    extra = 0
    can_delete = False
    readonly_fields = ("at", "kind", "actor_name", "text")


@admin.register(Incident)
class IncidentAdmin(AuditedAdmin):
    list_display = ("id", "type", "priority", "status", "organization", "received_at")
    list_filter = ("status", "priority", "type", "source", "organization")
    date_hierarchy = "received_at"
    readonly_fields = (
        "status",
        "received_at",
        "dispatched_at",
        "on_scene_at",
        "resolved_at",
        "closed_at",
    )
    inlines = [AssignmentInline, TimelineInline]


@admin.register(VideoPatrolTask)
class VideoPatrolTaskAdmin(AuditedAdmin):
    list_display = ("incident", "assignee", "status", "found", "created_at")
    list_filter = ("status",)

"""Back office for disputes: the configuration only — directors' groups and stage deadlines.

Cases, leads and agreements are worked through the pages and the API, where need-to-know is
enforced; the admin does not list them.
"""

from django.contrib import admin

from jingwu.audit.admin import AuditedAdmin
from jingwu.disputes.models import DirectorsGroup, GroupMember, StageLimit


class GroupMemberInline(admin.TabularInline):
    model = GroupMember
    extra = 1
    autocomplete_fields = ("person", "organization")


@admin.register(DirectorsGroup)
class DirectorsGroupAdmin(AuditedAdmin):
    list_display = ("name", "workstation", "created_at")
    search_fields = ("name", "workstation__name")
    autocomplete_fields = ("workstation",)
    inlines = [GroupMemberInline]

    def save_formset(self, request, form, formset, change):  # type: ignore[no-untyped-def]
        # Member changes are writes too: each lands in the audit log.
        instances = formset.save()
        for obj in instances:
            self.log_member(request, obj, "update")
        for obj in formset.deleted_objects:
            self.log_member(request, obj, "delete")

    def log_member(self, request, obj, action):  # type: ignore[no-untyped-def]
        from jingwu.audit import services

        services.record(
            action=action,
            component="admin",
            object_type="disputes.groupmember",
            object_id=obj.pk or "",
            request=request,
        )


@admin.register(StageLimit)
class StageLimitAdmin(AuditedAdmin):
    list_display = ("stage", "days")

"""Back office for the catalogue, halls, windows, hours, rosters and rules (audited saves)."""

from django.contrib import admin

from jingwu.audit.admin import AuditedAdmin
from jingwu.counter.models import (
    BookingRule,
    OpeningHours,
    ServiceCase,
    ServicePoint,
    ServiceType,
    Shift,
    Window,
)


@admin.register(ServiceType)
class ServiceTypeAdmin(AuditedAdmin):
    list_display = (
        "name",
        "code",
        "handling_minutes",
        "time_limit_working_days",
        "bookable",
        "is_active",
    )
    list_editable = ("handling_minutes", "time_limit_working_days", "bookable", "is_active")
    search_fields = ("name", "code")


class WindowInline(admin.TabularInline):
    model = Window
    extra = 0
    fields = ("number", "name", "staffing", "services", "status")


@admin.register(ServicePoint)
class ServicePointAdmin(AuditedAdmin):
    list_display = ("name", "kind", "organization", "walk_in_share", "slot_minutes", "call_order")
    list_filter = ("kind",)
    filter_horizontal = ("services",)
    inlines = [WindowInline]


class HoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0


@admin.register(Window)
class WindowAdmin(AuditedAdmin):
    list_display = ("name", "service_point", "number", "staffing", "status")
    list_filter = ("service_point", "status")
    filter_horizontal = ("services",)
    inlines = [HoursInline]


@admin.register(Shift)
class ShiftAdmin(AuditedAdmin):
    list_display = ("date", "window", "person")
    list_filter = ("window__service_point", "date")
    date_hierarchy = "date"


@admin.register(BookingRule)
class BookingRuleAdmin(AuditedAdmin):
    list_display = (
        "__str__",
        "no_show_limit",
        "no_show_window_days",
        "suspension_days",
        "near_due_working_days",
    )


@admin.register(ServiceCase)
class ServiceCaseAdmin(AuditedAdmin):
    """Read-only: cases change through the desk, where every step lands on the timeline."""

    list_display = ("number", "service", "service_point", "stage", "first_handler", "due_date")
    list_filter = ("service_point", "service", "stage")
    search_fields = ("number",)
    date_hierarchy = "accepted_at"

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

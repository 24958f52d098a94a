"""Back office for areas."""

from django.contrib import admin

from jingwu.areas.models import Area
from jingwu.audit.admin import AuditedAdmin


@admin.register(Area)
class AreaAdmin(AuditedAdmin):
    list_display = ("name", "level", "code", "parent", "organization", "illustrative", "updated_at")
    list_filter = ("level", "illustrative")
    search_fields = ("name", "code", "organization__name")
    autocomplete_fields = ("parent", "organization")

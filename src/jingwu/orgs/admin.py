"""Back office for organizations, people, memberships and API tokens."""

from django.contrib import admin

from jingwu.audit.admin import AuditedAdmin
from jingwu.orgs.models import ApiToken, Membership, Organization, Person


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ("organization",)


@admin.register(Organization)
class OrganizationAdmin(AuditedAdmin):
    list_display = ("name", "kind", "code", "parent", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "code")
    autocomplete_fields = ("parent",)


@admin.register(Person)
class PersonAdmin(AuditedAdmin):
    list_display = ("name", "badge", "user")
    search_fields = ("name", "badge", "user__username")
    list_filter = ("memberships__role", "memberships__organization__kind")
    inlines = [MembershipInline]
    autocomplete_fields = ("user",)


@admin.register(Membership)
class MembershipAdmin(AuditedAdmin):
    list_display = ("person", "organization", "role")
    list_filter = ("role", "organization__kind")
    search_fields = ("person__name", "organization__name")
    autocomplete_fields = ("person", "organization")


@admin.register(ApiToken)
class ApiTokenAdmin(AuditedAdmin):
    list_display = (
        "prefix",
        "user",
        "name",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    )
    list_filter = ("revoked_at",)
    search_fields = ("user__username", "name", "prefix")
    readonly_fields = ("key_hash", "prefix", "created_at", "last_used_at")

"""Provider staff manage tenants, nodes, PBX users and memberships here.

Saves go through the services, so every change is audited like one made in the menu.
"""

from django.contrib import admin, messages
from django.db import transaction

import audit

from . import services
from .models import Membership, PbxNode, PbxUser, Tenant


class AuditedAdmin(admin.ModelAdmin):
    """Writes an audit event for each admin save/delete in the same transaction."""

    def _tenant_of(self, obj):
        return obj if isinstance(obj, Tenant) else getattr(obj, "tenant_id", None)

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            audit.record(actor=request.user, tenant=self._tenant_of(obj),
                         action=f"{obj._meta.model_name}.{'updated' if change else 'created'}",
                         obj=obj, data={"changed": form.changed_data, "via": "admin"})

    def delete_model(self, request, obj):
        with transaction.atomic():
            audit.record(actor=request.user, tenant=self._tenant_of(obj),
                         action=f"{obj._meta.model_name}.deleted", obj=obj,
                         data={"repr": str(obj), "via": "admin"})
            super().delete_model(request, obj)


@admin.register(Tenant)
class TenantAdmin(AuditedAdmin):
    list_display = ["slug", "name", "status", "locale", "timezone", "created_at"]
    list_filter = ["status"]
    search_fields = ["slug", "name"]


@admin.register(PbxNode)
class PbxNodeAdmin(AuditedAdmin):
    list_display = ["name", "tenant", "token_prefix", "is_active", "last_seen_at"]
    list_filter = ["tenant", "is_active"]
    readonly_fields = ["token_prefix", "last_seen_at"]
    actions = ["rotate_token"]

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        node, token = services.create_pbx_node(actor=request.user, tenant=obj.tenant,
                                               name=obj.name)
        obj.pk = node.pk
        messages.warning(request, f"API token of {node}: {token} (shown only now)")

    @admin.action(description="Rotate the API token (shows the new one once)")
    def rotate_token(self, request, queryset):
        for node in queryset:
            token = services.rotate_pbx_node_token(actor=request.user, node=node)
            messages.warning(request, f"New API token of {node}: {token} (shown only now)")


@admin.register(PbxUser)
class PbxUserAdmin(AuditedAdmin):
    list_display = ["extension", "display_name", "tenant", "client_type", "record_all_calls",
                    "is_active"]
    list_filter = ["tenant", "client_type", "is_active"]
    search_fields = ["extension", "display_name", "email"]


@admin.register(Membership)
class MembershipAdmin(AuditedAdmin):
    list_display = ["user", "tenant", "role", "pbx_user"]
    list_filter = ["tenant", "role"]
    search_fields = ["user__username"]
    raw_id_fields = ["pbx_user"]

from django.contrib import admin

from hostedpbx.admin import ReadOnlyAdmin

from .models import AuditChainHead, AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """Read-only: the trail is append-only."""

    list_display = ["occurred_at", "tenant", "seq", "action", "actor_label", "object_type",
                    "object_id"]
    list_filter = ["action", "tenant"]
    search_fields = ["action", "actor_label", "object_id"]
    date_hierarchy = "occurred_at"


@admin.register(AuditChainHead)
class AuditChainHeadAdmin(AuditEventAdmin):
    list_display = ["chain", "tenant", "last_seq", "last_hash", "updated_at"]
    list_filter = ["tenant"]
    search_fields = ["chain"]
    date_hierarchy = None

from django.contrib import admin

from .models import AuditChainHead, AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the trail is append-only."""

    list_display = ["occurred_at", "tenant", "seq", "action", "actor_label", "object_type",
                    "object_id"]
    list_filter = ["action", "tenant"]
    search_fields = ["action", "actor_label", "object_id"]
    date_hierarchy = "occurred_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditChainHead)
class AuditChainHeadAdmin(AuditEventAdmin):
    list_display = ["chain", "tenant", "last_seq", "last_hash", "updated_at"]
    list_filter = ["tenant"]
    search_fields = ["chain"]
    date_hierarchy = None

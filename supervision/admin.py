"""Provider staff look at grants and sessions here; changes go through the customer menu and
the API (services audit them), so everything is read-only."""

from django.contrib import admin

from hostedpbx.admin import ReadOnlyAdmin

from .models import MonitoringSession, SessionEvent, SupervisionGrant, SupervisionSettings


@admin.register(SupervisionGrant)
class SupervisionGrantAdmin(ReadOnlyAdmin):
    list_display = [
        "tenant",
        "agent",
        "supervisor",
        "valid_from",
        "valid_until",
        "purpose",
        "revoked_at",
    ]
    list_filter = ["tenant"]
    list_select_related = ["tenant", "agent", "supervisor"]


class SessionEventInline(admin.TabularInline):
    model = SessionEvent
    fields = [
        "seq",
        "at",
        "kind",
        "supervisor_extension",
        "key",
        "mode_before",
        "mode_after",
        "reason",
    ]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(MonitoringSession)
class MonitoringSessionAdmin(ReadOnlyAdmin):
    list_display = [
        "pk",
        "tenant",
        "agent_extension",
        "call_id",
        "status",
        "mode",
        "started_at",
        "ended_at",
        "end_reason",
    ]
    list_filter = ["tenant", "status"]
    list_select_related = ["tenant"]
    inlines = [SessionEventInline]


@admin.register(SupervisionSettings)
class SupervisionSettingsAdmin(ReadOnlyAdmin):
    list_display = ["tenant", "agent_tone", "agents_see_summary", "max_supervisors"]

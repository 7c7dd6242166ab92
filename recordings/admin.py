"""Provider staff see calls, ingests and recordings of every tenant here, read-only; the one
write is the audited retry of rejected or quarantined ingests (through the service)."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from hostedpbx.admin import ReadOnlyAdmin

from . import services
from .models import Call, Ingest, Recording


@admin.register(Call)
class CallAdmin(ReadOnlyAdmin):
    list_display = ["call_id", "tenant", "extension", "direction", "remote_number", "started_at",
                    "consent", "consent_source", "consent_set_by"]
    list_filter = ["consent", "direction", "tenant"]
    search_fields = ["call_id", "extension", "remote_number"]
    list_select_related = ["tenant"]
    show_full_result_count = False


@admin.register(Ingest)
class IngestAdmin(ReadOnlyAdmin):
    list_display = ["ingest_id", "tenant", "source", "status", "reason", "call_id", "extension",
                    "attempts", "created_at", "finished_at"]
    list_filter = ["status", "reason", "source", "tenant"]
    search_fields = ["=ingest_id", "call_id", "extension", "original_name"]
    list_select_related = ["tenant"]
    show_full_result_count = False
    actions = ["retry"]

    @admin.action(description=_("Retry the selected rejected or quarantined ingests"))
    def retry(self, request, queryset):
        done, refused = 0, 0
        for ingest in queryset:
            try:
                services.retry_ingest(actor=request.user, ingest=ingest)
                done += 1
            except services.NotRetryable:
                refused += 1
        self.message_user(request, _("%(done)d queued again, %(refused)d not retryable.")
                          % {"done": done, "refused": refused},
                          messages.SUCCESS if not refused else messages.WARNING)


@admin.register(Recording)
class RecordingAdmin(ReadOnlyAdmin):
    list_display = ["id", "tenant", "pbx_call_id", "extension", "started_at", "duration", "kind",
                    "consent", "audio_state", "policy_violation", "truncated", "legal_hold"]
    list_filter = ["audio_state", "kind", "consent", "policy_violation", "truncated", "tenant"]
    search_fields = ["pbx_call_id", "extension", "sha256"]
    list_select_related = ["tenant"]
    show_full_result_count = False
    exclude = ["peaks"]

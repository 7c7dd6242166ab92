"""Customer-menu pages of the recordings part: the list, the upload of softphone recordings,
the ingest status (admins, compliance officers) and the objection action."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib import messages
from django.db.models import Q
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from hostedpbx.views import TenantViewMixin
from tenancy.choices import Role
from tenancy.models import PbxUser

from . import ingest_texts, services
from .choices import Consent, Direction, IngestStatus, Kind
from .models import own_extension
from .selectors import (
    access_call_for_objection,
    access_ingest,
    ingest_counts,
    ingests_for_list,
    may_object,
    recordings_for_list,
)

PAGE_SIZE = 50
INGEST_ROWS = 100
STATUS_POLL_SECONDS = 4
INGEST_MANAGERS = frozenset({Role.ADMIN, Role.COMPLIANCE})


def _cursor(recording) -> str:
    return f"{recording.started_at.isoformat()}~{recording.pk}"


def _parse_cursor(value: str):
    try:
        moment, pk = value.rsplit("~", 1)
        return datetime.fromisoformat(moment), int(pk)
    except (ValueError, TypeError):
        return None


class RecordingListView(TenantViewMixin, TemplateView):
    """Recordings the account may see, newest first, 50 per page (keyset: flat cost)."""

    template_name = "recordings/recording_list.html"
    FILTERS = {"extension": None, "direction": Direction, "kind": Kind, "consent": Consent}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = recordings_for_list(actor=self.actor, tenant=self.tenant)
        chosen = {}
        for name, choices in self.FILTERS.items():
            value = self.request.GET.get(name, "").strip()
            if value and (choices is None or value in choices.values):
                rows = rows.filter(**{name: value})
                chosen[name] = value
        cursor = _parse_cursor(self.request.GET.get("before", ""))
        if cursor:
            moment, pk = cursor
            rows = rows.filter(Q(started_at__lt=moment) | Q(started_at=moment, pk__lt=pk))
        page = list(rows[:PAGE_SIZE + 1])
        more = len(page) > PAGE_SIZE
        page = page[:PAGE_SIZE]
        for recording in page:
            recording.may_object = (recording.consent != Consent.OBJECTED
                                    and may_object(self.membership, recording.extension))
        services.record_access(actor=self.actor, tenant=self.tenant, action="recording.listed",
                               recordings=page, filters=chosen)
        query = "&".join(f"{k}={v}" for k, v in chosen.items())
        context.update(
            recordings=page, chosen=chosen, filter_query=query,
            next_cursor=_cursor(page[-1]) if more else "", paged=bool(cursor),
            directions=Direction.choices, kinds=Kind.choices, consents=Consent.choices,
        )
        return context


class UploadView(TenantViewMixin, TemplateView):
    """Upload recordings made in the softphone (several files, progress per file). The files
    go to the customer API (``recordings/upload/``), one request each."""

    template_name = "recordings/upload.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        is_admin = self.membership.role == Role.ADMIN
        context.update(
            own_extension=own_extension(self.membership),
            choose_extension=is_admin,
            pbx_users=(PbxUser.objects.for_actor(self.actor, self.tenant)
                       .filter(is_active=True).order_by("extension") if is_admin else []),
            directions=Direction.choices,
            upload_url=reverse("recording-upload", kwargs={"tenant_slug": self.tenant.slug}),
            ingest_url_template=reverse(
                "ingest-detail", kwargs={"tenant_slug": self.tenant.slug,
                                         "ingest_id": "00000000-0000-0000-0000-000000000000"}),
            max_bytes=settings.INGEST_MAX_UPLOAD_BYTES,
            ingest_labels=ingest_texts.labels_for_script(),
        )
        return context


def _ingest_row(ingest, *, can_retry, tenant) -> dict:
    return {
        "ingest_id": str(ingest.ingest_id),
        "received": formats.date_format(timezone.localtime(ingest.created_at),
                                        "SHORT_DATETIME_FORMAT"),
        "source": ingest.get_source_display(),
        "by": ingest.node.name if ingest.node_id else (
            ingest.uploaded_by.get_username() if ingest.uploaded_by_id else ""),
        "file": ingest_texts.shorten_middle(ingest.original_name),
        "file_full": ingest.original_name,
        "call_id": ingest.call_id,
        "extension": ingest.extension,
        "status": ingest.status,
        "status_label": ingest.get_status_display(),
        "reason": ingest.reason,
        "reason_label": ingest.get_reason_display() if ingest.reason else "",
        "detail": ingest_texts.explain(ingest),
        "create_user_url": (ingest_texts.create_pbx_user_url(ingest, tenant)
                            if can_retry else ""),
        "attempts": ingest.attempts,
        "recording_id": ingest.recording_id,
        "retryable": bool(can_retry and ingest.is_retryable and ingest.staged_in),
    }


class IngestStatusMixin(TenantViewMixin):
    allowed_roles = INGEST_MANAGERS

    def status_filter(self):
        value = self.request.GET.get("status", "")
        return value if value in IngestStatus.values else ""

    def ingest_data(self):
        """Counts per status and the latest rows (times in the tenant's zone, activated by
        TenantViewMixin)."""
        base = ingests_for_list(actor=self.actor, tenant=self.tenant)
        counts = ingest_counts(base)
        status = self.status_filter()
        rows = base.filter(status=status) if status else base
        can_retry = self.membership.role == Role.ADMIN
        return {
            "counts": [{"status": value, "label": label, "count": counts[value]}
                       for value, label in IngestStatus.choices],
            "rows": [_ingest_row(i, can_retry=can_retry, tenant=self.tenant)
                     for i in rows[:INGEST_ROWS]],
            "status": status,
        }


class IngestListView(IngestStatusMixin, TemplateView):
    """Counts per status and the latest ingests, refreshed every few seconds."""

    template_name = "recordings/ingest_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(self.ingest_data())
        context["poll_seconds"] = STATUS_POLL_SECONDS
        context["status_url"] = reverse("recordings:ingests-status",
                                        kwargs={"tenant_slug": self.tenant.slug})
        context["retry_url_template"] = reverse(
            "recordings:ingest-retry",
            kwargs={"tenant_slug": self.tenant.slug,
                    "ingest_id": "00000000-0000-0000-0000-000000000000"})
        return context


class IngestStatusJsonView(IngestStatusMixin, View):
    """The data of the ingest page as JSON, for its polling."""

    def get(self, request, tenant_slug):
        return JsonResponse(self.ingest_data())


class IngestRetryView(TenantViewMixin, View):
    allowed_roles = frozenset({Role.ADMIN})

    def post(self, request, tenant_slug, ingest_id):
        ingest = access_ingest(actor=self.actor, tenant=self.tenant, ingest_id=ingest_id)
        try:
            services.retry_ingest(actor=self.actor, ingest=ingest)
        except services.NothingChanged as exc:
            messages.info(request, str(exc))
        except services.NotRetryable as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The recording is being processed again."))
        return redirect("recordings:ingests", tenant_slug=self.tenant.slug)


class CallObjectionView(TenantViewMixin, View):
    """Mark that the caller objected: the call's audio is discarded, a tombstone stays."""

    def post(self, request, tenant_slug, call_id):
        call = access_call_for_objection(actor=self.actor, membership=self.membership,
                                         tenant=self.tenant, call_id=call_id)
        note = request.POST.get("note", "")[:500]
        _call, changed = services.object_to_call(actor=self.actor, membership=self.membership,
                                                 call=call, note=note)
        if changed:
            messages.success(request, _("The objection is recorded; the call's audio was "
                                        "discarded."))
        else:
            messages.info(request, _("The objection was recorded before."))
        target = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
            target = reverse("recordings:list", kwargs={"tenant_slug": self.tenant.slug})
        return redirect(target)

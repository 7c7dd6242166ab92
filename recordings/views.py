"""Customer-menu pages of the recordings part: the archive (list with the shared filter set and
its CSV, the recording's detail page, its audio for the player, the archive's settings), the
upload of softphone recordings, the ingest status (admins, compliance officers) and the
objection action. See docs/archive.md."""

from __future__ import annotations

from urllib.parse import urlencode

import phonenumbers
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView
from rest_framework.request import Request

from hostedpbx.api.pagination import InvalidCursor
from hostedpbx.parts import collect_panels
from hostedpbx.views import TenantViewMixin
from tenancy import permissions
from tenancy.models import PbxUser

from . import ingest_texts, services
from .archive.forms import ArchivePolicyForm
from .archive.policy import POLICY_FIELDS, policy_for, update_policy
from .archive_settings import (
    RecordingSettingsForm,
    may_change_recording_settings,
    update_recording_settings,
)
from .audit_actions import action_label
from .choices import Consent, Direction, IngestStatus
from .exports_csv import metadata_csv_response
from .filters import RecordingCursorPagination, RecordingFilterSet
from .models import own_extension
from .playback import audio_response, needs_rendition
from .selectors import (
    access_ingest,
    access_recording,
    ingest_counts,
    ingests_for_list,
    recording_history,
    recordings_for_list,
    related_recordings,
    settings_for,
)

INGEST_ROWS = 100
STATUS_POLL_SECONDS = 4
INGEST_MANAGERS = permissions.MANAGE_INGESTS


def duration_text(seconds) -> str:
    """``m:ss`` (``h:mm:ss`` from an hour on)."""
    total = int(round(seconds or 0))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def number_text(number: str) -> str:
    """A stored E.164 number grouped readably (``+49 30 1234567``); anything else as is."""
    if not number or not number.startswith("+"):
        return number or ""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def filter_querystring(params) -> str:
    """The filter part of a query string (no cursor), for links that keep the search."""
    pairs = [(k, v) for k, values in params.lists() if k not in ("cursor", "page_size")
             for v in values if v != ""]
    return urlencode(pairs)


class RecordingListView(TenantViewMixin, TemplateView):
    """Recordings the account may see, filtered by the archive's filter set (the API's), 50
    per page with a cursor that keeps the filters; no destructive actions on rows."""

    template_name = "recordings/recording_list.html"
    recording_ordering = None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        base = recordings_for_list(actor=self.actor, tenant=self.tenant)
        filterset = RecordingFilterSet(self.request.GET or None, queryset=base,
                                       request=self.request)
        page, next_link, previous_link = [], "", ""
        if filterset.is_bound and not filterset.is_valid():
            pass  # the form shows its errors; nothing is listed
        else:
            rows = filterset.qs if filterset.is_bound else base
            self.recording_ordering = filterset.ordering if filterset.is_bound else None
            paginator = RecordingCursorPagination()
            try:
                page = paginator.paginate_queryset(rows, Request(self.request), view=self)
            except InvalidCursor as exc:
                raise Http404("No such page of the list.") from exc
            next_link = paginator.get_next_link() or ""
            previous_link = paginator.get_previous_link() or ""
            for recording in page:
                recording.duration_text = duration_text(recording.duration)
                recording.number_text = number_text(recording.remote_number)
            services.record_access(
                actor=self.actor, tenant=self.tenant, action="recording.listed",
                recordings=page, filters={k: v for k, v in self.request.GET.items()
                                          if k != "cursor"})
        query = filter_querystring(self.request.GET)
        context.update(
            recordings=page, filter=filterset, form=filterset.form, filter_query=query,
            next_link=next_link, previous_link=previous_link,
            csv_url=reverse("recordings:csv", kwargs={"tenant_slug": self.tenant.slug})
            + (f"?{query}" if query else ""),
        )
        return context


class RecordingCsvView(TenantViewMixin, View):
    """The filtered list's metadata as CSV (streamed, audited)."""

    def get(self, request, tenant_slug):
        base = recordings_for_list(actor=self.actor, tenant=self.tenant)
        filterset = RecordingFilterSet(request.GET, queryset=base, request=request)
        if not filterset.is_valid():
            return HttpResponseBadRequest(filterset.error_detail(),
                                          content_type="text/plain; charset=utf-8")
        rows = filterset.qs.order_by(*filterset.ordering)
        return metadata_csv_response(actor=self.actor, tenant=self.tenant, rows=rows,
                                     filters=dict(request.GET.items()))


def consent_text(call) -> str:
    """The call's consent in a sentence."""
    texts = {
        Consent.UNKNOWN: _("No answer to the recording notice is known."),
        Consent.NOTIFIED: _("The caller heard the recording notice."),
        Consent.CONSENTED: _("The caller agreed to the recording."),
        Consent.OBJECTED: _("The caller objected to the recording."),
        Consent.NO_INPUT: _("The caller heard the notice and gave no answer."),
    }
    return str(texts.get(call.consent, call.get_consent_display()))


def licence_explanations(recording) -> list[str]:
    """The recording's flags in words (licensing's reason texts where they fit)."""
    from licensing.policy import REASONS

    out = []
    if recording.policy_violation:
        licence = recording.policy_violation_reason.removesuffix("_not_held")
        reason = REASONS.get(f"no_{licence}_license")
        out.append(_("When the call started, the extension held no licence for this kind of "
                     "recording.") + (f" {reason}" if reason else ""))
    if recording.truncated:
        out.append(_("The audio is shorter than the call: it was cut off.")
                   + (f" ({recording.truncation_detail})" if recording.truncation_detail
                      else ""))
    if recording.legal_hold:
        out.append(_("A legal hold keeps this recording: it is neither purged nor deleted."))
    if recording.discard_pending:
        out.append(_("The caller objected, but a legal hold keeps the audio until it is "
                     "lifted."))
    if not recording.has_audio:
        out.append(_("The audio was discarded; this entry remains as proof."))
    return out


class RecordingDetailView(TenantViewMixin, TemplateView):
    """One recording: metadata, consent, flags in words, the player with its waveform, the
    recording's audit history, related recordings of the call and other parts' panels."""

    template_name = "recordings/recording_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        recording = access_recording(actor=self.actor, tenant=self.tenant,
                                     recording_id=kwargs["recording_id"])
        services.record_access(actor=self.actor, tenant=self.tenant, action="recording.viewed",
                               recordings=[recording])
        recording.duration_text = duration_text(recording.duration)
        recording.number_text = number_text(recording.remote_number)
        related = list(related_recordings(actor=self.actor, tenant=self.tenant,
                                          recording=recording))
        for other in related:
            other.duration_text = duration_text(other.duration)
        archive_settings = settings_for(self.tenant)
        audio_url = reverse("recordings:audio", kwargs={"tenant_slug": self.tenant.slug,
                                                        "recording_id": recording.pk})
        context.update(
            recording=recording, call=recording.call, consent_text=consent_text(recording.call),
            explanations=licence_explanations(recording), related=related,
            history=[(event, action_label(event.action)) for event in recording_history(
                actor=self.actor, tenant=self.tenant, recording=recording)],
            panels=self.rendered_panels(recording),
            audio_url=audio_url, download_url=f"{audio_url}?download=1",
            reason_required=archive_settings.access_reason_required,
            player_config={"peaks": recording.peaks or [], "duration": recording.duration},
            rendition=needs_rendition(recording),
        )
        return context

    def rendered_panels(self, recording) -> list[tuple[str, str]]:
        """Other parts' panels as ``(title, html)``: each template gets the panel's context
        plus tenant, membership, recording and call."""
        panels = collect_panels("recording_panels", actor=self.actor, tenant=self.tenant,
                                membership=self.membership, recording=recording)
        base = {"tenant": self.tenant, "membership": self.membership, "recording": recording,
                "call": recording.call}
        return [(panel.title, render_to_string(panel.template, {**base, **panel.context},
                                               request=self.request)) for panel in panels]


class RecordingAudioView(TenantViewMixin, View):
    """The audio for the menu's player (session login), as the API's ``audio/``."""

    def get(self, request, tenant_slug, recording_id):
        recording = access_recording(actor=self.actor, tenant=self.tenant,
                                     recording_id=recording_id)
        return audio_response(
            request, actor=self.actor, tenant=self.tenant, recording=recording,
            reason_required=settings_for(self.tenant).access_reason_required)


class RecordingSettingsView(TenantViewMixin, TemplateView):
    """The recording settings, one page in two parts, each with its own form, service and
    audit event: access and phone numbers (``RecordingSettings``, posted here) and retention
    and exports (``ArchivePolicy``, posted to :class:`ArchiveSettingsView`). Every member
    reads them (who sees their recordings, how long they are kept); admins change them."""

    template_name = "recordings/settings.html"

    def get_context_data(self, *, access_form=None, archive_form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        may_change_access = may_change_recording_settings(self.membership)
        may_change_archive = permissions.may_change_archive_settings(self.membership)
        access_form = access_form or RecordingSettingsForm(instance=settings_for(self.tenant))
        archive_form = archive_form or ArchivePolicyForm(instance=policy_for(self.tenant))
        for form, may_change in ((access_form, may_change_access),
                                 (archive_form, may_change_archive)):
            if not may_change:
                for field in form.fields.values():
                    field.disabled = True
        context.update(access_form=access_form, archive_form=archive_form,
                       may_change_access=may_change_access,
                       may_change_archive=may_change_archive,
                       access_action=self.settings_url(),
                       archive_action=self.settings_url("archive-settings"))
        return context

    def settings_url(self, name="settings", anchor=""):
        url = reverse(f"recordings:{name}", kwargs={"tenant_slug": self.tenant.slug})
        return f"{url}#{anchor}" if anchor else url

    def post(self, request, *args, **kwargs):
        if not may_change_recording_settings(self.membership):
            raise PermissionDenied
        form = RecordingSettingsForm(request.POST, instance=settings_for(self.tenant))
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(access_form=form))
        update_recording_settings(actor=self.actor, tenant=self.tenant,
                                  changes={name: form.cleaned_data[name]
                                           for name in form.Meta.fields})
        messages.success(self.request, _("The settings are saved."))
        return redirect(self.settings_url(anchor="access"))


class ArchiveSettingsView(RecordingSettingsView):
    """Where the retention and export part of the settings page posts (the page itself is
    :class:`RecordingSettingsView`; a visit here goes there)."""

    def get(self, request, *args, **kwargs):
        return redirect(self.settings_url(anchor="archive"))

    def post(self, request, *args, **kwargs):
        if not permissions.may_change_archive_settings(self.membership):
            raise PermissionDenied
        form = ArchivePolicyForm(request.POST, instance=policy_for(self.tenant))
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(archive_form=form))
        update_policy(actor=self.actor, tenant=self.tenant,
                      **{name: form.cleaned_data[name] for name in POLICY_FIELDS})
        messages.success(request, _("The archive settings are saved."))
        return redirect(self.settings_url(anchor="archive"))


class UploadView(TenantViewMixin, TemplateView):
    """Upload recordings made in the softphone (several files, progress per file). The files
    go to the customer API (``recordings/upload/``), one request each."""

    template_name = "recordings/upload.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        any_extension = permissions.may_upload_for_any_extension(self.membership)
        context.update(
            own_extension=own_extension(self.membership),
            choose_extension=any_extension,
            pbx_users=(PbxUser.objects.for_actor(self.actor, self.tenant)
                       .filter(is_active=True).order_by("extension") if any_extension else []),
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
        can_retry = permissions.may_retry_ingests(self.membership)
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
    allowed_roles = permissions.RETRY_INGESTS

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

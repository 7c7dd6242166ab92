"""Customer-menu pages of the archive: exports with progress, legal hold (one recording or
by filter), deletion with a reason, the objection after the call, the archive settings and
data-subject requests. No inline script: the export page polls through
static/js/recordings-exports.js."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from hostedpbx.views import TenantViewMixin
from recordings.models import Call, Export, LegalHold, Recording, SubjectRequest
from recordings.services import record_access

from . import exports, holds, objection, permissions, retention, subject_requests
from .errors import ArchiveConflict
from .forms import LegalHoldForm, ReasonForm, SubjectRequestForm

KEEPERS = permissions.KEEPERS


def _errors(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


class ArchiveViewMixin(TenantViewMixin):
    def url(self, name, **kwargs):
        return reverse(f"recordings:{name}", kwargs={"tenant_slug": self.tenant.slug, **kwargs})

    def recording(self, recording_id) -> Recording:
        """The recording (404 unless the actor may see it); showing it is audited
        (``recording.viewed``), as every access to a recording is."""
        recording = get_object_or_404(
            Recording.objects.for_actor(self.actor, self.tenant).select_related("call", "pbx_user"),
            pk=recording_id,
        )
        if self.request.method == "GET":
            record_access(
                actor=self.actor,
                tenant=self.tenant,
                action="recording.viewed",
                recordings=[recording],
            )
        return recording

    def list_url(self, query: str = "") -> str:
        return self.url("list") + (f"?{query}" if query else "")


# --- exports --------------------------------------------------------------------------------
def export_row(export: Export) -> dict:
    """What the progress bar shows (also the JSON the page polls)."""
    return {
        "export_id": str(export.export_id),
        "status": export.status,
        "status_label": export.get_status_display(),
        "done": export.done,
        "total": export.total,
        "percent": export.percent,
        "size": formats.number_format(export.size or 0, force_grouping=True),
        "expires_at": formats.date_format(
            timezone.localtime(export.expires_at), "SHORT_DATETIME_FORMAT"
        )
        if export.expires_at
        else "",
        "ready": export.status == "ready",
    }


class ExportListView(ArchiveViewMixin, TemplateView):
    """The exports the account may see; POST creates one from the list's filter or ticked
    rows (``_list_actions.html``)."""

    template_name = "recordings/archive/export_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["exports"] = Export.objects.for_actor(self.actor, self.tenant).select_related(
            "created_by"
        )[:100]
        return context

    def post(self, request, tenant_slug):
        from django.http import QueryDict

        filter_query = request.POST.get("filter_query", "")
        reason = request.POST.get("reason", "")
        back = self.list_url(filter_query)
        try:
            if request.POST.get("scope") == "selected":
                ids = request.POST.getlist("ids")
                if not ids:
                    messages.error(request, _("Tick the recordings to export first."))
                    return redirect(back)
                queryset = exports.selected_recordings(
                    actor=self.actor, tenant=self.tenant, ids=ids
                )
                filters = {"ids": [int(i) for i in ids][:1000]}
            else:
                filters = exports.clean_filters(QueryDict(filter_query))
                queryset = exports.filtered_recordings(
                    actor=self.actor, tenant=self.tenant, filters=filters
                )
            export = exports.create_export(
                actor=self.actor,
                tenant=self.tenant,
                queryset=queryset,
                filters=filters,
                reason=reason,
            )
        except ValidationError as exc:
            messages.error(request, _errors(exc))
            return redirect(back)
        messages.success(request, _("The export is being prepared."))
        return redirect(self.url("export-detail", export_id=export.export_id))


class ExportMixin(ArchiveViewMixin):
    def export(self, export_id) -> Export:
        return get_object_or_404(
            Export.objects.for_actor(self.actor, self.tenant), export_id=export_id
        )


class ExportDetailView(ExportMixin, TemplateView):
    template_name = "recordings/archive/export_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        export = self.export(kwargs["export_id"])
        context.update(
            export=export,
            row=export_row(export),
            status_url=self.url("export-status", export_id=export.export_id),
            download_url=self.url("export-download", export_id=export.export_id),
        )
        return context


class ExportStatusView(ExportMixin, View):
    def get(self, request, tenant_slug, export_id):
        return JsonResponse(export_row(self.export(export_id)))


class ExportDownloadView(ExportMixin, View):
    """The ZIP; every download is audited (``export.downloaded``, with the optional reason)."""

    def get(self, request, tenant_slug, export_id):
        export = self.export(export_id)
        try:
            body = exports.open_export(
                actor=self.actor,
                tenant=self.tenant,
                export=export,
                reason=request.GET.get("reason", ""),
            )
        except ValidationError as exc:
            messages.error(request, _errors(exc))
            return redirect(self.url("export-detail", export_id=export.export_id))
        response = StreamingHttpResponse(body.chunks, content_type="application/zip")
        response["Content-Length"] = str(body.length)
        response["Content-Disposition"] = f'attachment; filename="{exports.download_name(export)}"'
        return response


# --- legal hold -----------------------------------------------------------------------------
class LegalHoldView(ArchiveViewMixin, TemplateView):
    """Set or lift the legal hold of one recording, with its history."""

    template_name = "recordings/archive/legal_hold.html"
    allowed_roles = KEEPERS

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        recording = self.recording(kwargs["recording_id"])
        context.update(
            recording=recording,
            form=kwargs.get("form") or LegalHoldForm(),
            active=holds.active_hold(recording),
            history=LegalHold.unscoped.filter(recording=recording).select_related(
                "set_by", "lifted_by"
            ),
        )
        return context

    def post(self, request, tenant_slug, recording_id):
        recording = self.recording(recording_id)
        if request.POST.get("action") == "lift":
            holds.lift_legal_hold(
                actor=self.actor, recording=recording, reason=request.POST.get("reason", "")
            )
            messages.success(request, _("The legal hold is lifted."))
            return redirect(self.url("legal-hold", recording_id=recording.pk))
        form = LegalHoldForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(
                self.get_context_data(recording_id=recording_id, form=form)
            )
        holds.set_legal_hold(
            actor=self.actor,
            recording=recording,
            case_reference=form.cleaned_data["case_reference"],
            note=form.cleaned_data["note"],
        )
        messages.success(request, _("The recording is under legal hold."))
        return redirect(self.url("legal-hold", recording_id=recording.pk))


class BulkLegalHoldView(ArchiveViewMixin, TemplateView):
    """Hold (or release) everything matching the list's filter, after confirming the count."""

    template_name = "recordings/archive/legal_hold_bulk.html"
    allowed_roles = KEEPERS

    def selection(self, query):
        from django.http import QueryDict

        filters = exports.clean_filters(QueryDict(query))
        if not filters:
            return filters, None
        return filters, exports.filtered_recordings(
            actor=self.actor, tenant=self.tenant, filters=filters
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = kwargs.get("query", self.request.GET.urlencode())
        try:
            filters, queryset = self.selection(query)
        except ValidationError as exc:
            filters, queryset = {}, None
            context["filter_error"] = _errors(exc)
        context.update(
            filters=filters,
            filter_query=urlencode(filters),
            count=queryset.count() if queryset is not None else None,
            held=queryset.filter(legal_hold=True).count() if queryset is not None else None,
            form=kwargs.get("form") or LegalHoldForm(),
            list_url=self.list_url(urlencode(filters)),
        )
        return context

    def post(self, request, tenant_slug):
        query = request.POST.get("filter_query", "")
        filters, queryset = self.selection(query)
        if queryset is None:
            messages.error(request, _("Choose at least one filter."))
            return redirect(self.list_url())
        try:
            if request.POST.get("action") == "lift":
                changed = holds.lift_legal_hold_many(
                    actor=self.actor,
                    tenant=self.tenant,
                    queryset=queryset,
                    expected_count=request.POST.get("expected_count"),
                    reason=request.POST.get("reason", ""),
                    filters=filters,
                )
                messages.success(
                    request, _("Legal hold lifted on %(n)s recordings.") % {"n": changed}
                )
            else:
                form = LegalHoldForm(request.POST)
                if not form.is_valid():
                    return self.render_to_response(self.get_context_data(query=query, form=form))
                changed = holds.set_legal_hold_many(
                    actor=self.actor,
                    tenant=self.tenant,
                    queryset=queryset,
                    case_reference=form.cleaned_data["case_reference"],
                    note=form.cleaned_data["note"],
                    expected_count=request.POST.get("expected_count"),
                    filters=filters,
                )
                messages.success(
                    request, _("%(n)s recordings are now under legal hold.") % {"n": changed}
                )
        except (ArchiveConflict, ValidationError) as exc:
            messages.error(request, str(exc) if isinstance(exc, ArchiveConflict) else _errors(exc))
            return redirect(self.url("legal-hold-bulk") + f"?{query}")
        return redirect(self.list_url(urlencode(filters)))


# --- deletion -------------------------------------------------------------------------------
class RecordingDeleteView(ArchiveViewMixin, TemplateView):
    template_name = "recordings/archive/recording_delete.html"
    allowed_roles = KEEPERS

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            recording=self.recording(kwargs["recording_id"]),
            form=kwargs.get("form") or ReasonForm(),
        )
        return context

    def post(self, request, tenant_slug, recording_id):
        recording = self.recording(recording_id)
        form = ReasonForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(
                self.get_context_data(recording_id=recording_id, form=form)
            )
        try:
            retention.delete_recording(
                actor=self.actor, recording=recording, reason=form.cleaned_data["reason"]
            )
        except ArchiveConflict as exc:
            messages.error(request, str(exc))
            return redirect(self.url("recording-delete", recording_id=recording.pk))
        messages.success(request, _("The audio was deleted; the entry stays as a record."))
        return redirect(self.url("list"))


# --- objection ------------------------------------------------------------------------------
class CallObjectionView(ArchiveViewMixin, TemplateView):
    """ "Record objection…": a confirmation page that names the call (number, time, agent)
    and asks for the reason; the POST deletes the call's audio (tombstones stay)."""

    template_name = "recordings/archive/objection.html"

    def call(self, call_id) -> Call:
        return objection.access_call_to_object(
            actor=self.actor, membership=self.membership, tenant=self.tenant, call_id=call_id
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        call = self.call(kwargs["call_id"])
        recordings = Recording.unscoped.filter(call=call).order_by("started_at")
        context.update(
            call=call,
            recordings=recordings,
            stored=sum(1 for r in recordings if r.has_audio),
            held=sum(1 for r in recordings if r.legal_hold),
            agent=call.pbx_user.display_name if call.pbx_user_id else "",
            form=kwargs.get("form") or ReasonForm(),
            next=_safe_next(self.request, self.url("list")),
        )
        return context

    def post(self, request, tenant_slug, call_id):
        call = self.call(call_id)
        form = ReasonForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(call_id=call_id, form=form))
        _call, changed = objection.record_objection(
            actor=self.actor,
            membership=self.membership,
            call=call,
            reason=form.cleaned_data["reason"],
        )
        if changed:
            messages.success(
                request, _("The objection is recorded; the call's audio was discarded.")
            )
        else:
            messages.info(request, _("The objection was recorded before."))
        return HttpResponseRedirect(_safe_next(request, self.url("list")))


# --- settings -------------------------------------------------------------------------------
# --- data-subject requests ------------------------------------------------------------------
class SubjectRequestListView(ArchiveViewMixin, TemplateView):
    template_name = "recordings/archive/subject_request_list.html"
    allowed_roles = KEEPERS

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            form=kwargs.get("form") or SubjectRequestForm(),
            requests=SubjectRequest.objects.for_actor(self.actor, self.tenant).select_related(
                "created_by"
            )[:100],
        )
        return context

    def post(self, request, tenant_slug):
        form = SubjectRequestForm(request.POST)
        if form.is_valid():
            try:
                created = subject_requests.create_subject_request(
                    actor=self.actor, tenant=self.tenant, **form.cleaned_data
                )
            except ValidationError as exc:
                form.add_error("number", _errors(exc))
            else:
                return redirect(self.url("subject-request", request_id=created.pk))
        return self.render_to_response(self.get_context_data(form=form))


class SubjectRequestDetailView(ArchiveViewMixin, TemplateView):
    template_name = "recordings/archive/subject_request_detail.html"
    allowed_roles = KEEPERS

    def subject(self, request_id) -> SubjectRequest:
        return get_object_or_404(
            SubjectRequest.objects.for_actor(self.actor, self.tenant), pk=request_id
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        subject = self.subject(kwargs["request_id"])
        tenant_id = self.tenant.pk
        recordings = list(
            subject_requests.matching_recordings(
                tenant_id=tenant_id, e164=subject.number_e164, raw=subject.number
            ).order_by("-started_at")[:500]
        )
        record_access(
            actor=self.actor,
            tenant=self.tenant,
            action="recording.listed",
            recordings=recordings,
            filters={"subject_request": subject.pk},
        )
        context.update(
            subject=subject,
            calls=subject_requests.matching_calls(
                tenant_id=tenant_id, e164=subject.number_e164, raw=subject.number
            )
            .select_related("pbx_user")
            .order_by("-started_at")[:500],
            recordings=recordings,
            exports=subject.exports.all(),
        )
        return context

    def post(self, request, tenant_slug, request_id):
        subject = self.subject(request_id)
        action = request.POST.get("action")
        if action == "export":
            try:
                export = subject_requests.export_subject_data(
                    actor=self.actor, tenant=self.tenant, request=subject
                )
            except ValidationError as exc:
                messages.error(request, _errors(exc))
                return redirect(self.url("subject-request", request_id=subject.pk))
            return redirect(self.url("export-detail", export_id=export.export_id))
        if action == "erase":
            if subject.kind != SubjectRequest.Kind.ERASURE:
                raise Http404
            if request.POST.get("confirm") != "yes":
                messages.error(request, _("Tick the confirmation to erase."))
            else:
                report = subject_requests.erase_subject_data(
                    actor=self.actor, tenant=self.tenant, request=subject
                )
                messages.success(
                    request,
                    _(
                        "Erased: %(recordings)s recordings and %(calls)s calls. Kept because of a "
                        "legal hold: %(held)s recordings."
                    )
                    % {
                        "recordings": report["recordings_erased"],
                        "calls": report["calls_erased"],
                        "held": len(report["recordings_on_hold"]),
                    },
                )
        return redirect(self.url("subject-request", request_id=subject.pk))

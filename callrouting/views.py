"""Customer-menu pages of the legal-notice routing: list, create, edit with a live flow
picture, announcement audio (generate, upload, play), simulator, publish, versions with diff
and rollback, and the proof report per version."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from hostedpbx.views import TenantViewMixin
from tenancy import permissions

from . import selectors, services
from .api.views import wav_response
from .choices import CallerBehaviour, Mode
from .defaults import DEFAULT_TEXTS
from .definition import diff_definitions
from .flow import draw
from .forms import AudioUploadForm, RoutingForm, SimulateForm
from .models import RoutingAudio
from .permissions import may_manage_routing
from .presentation import diff_rows
from .simulator import simulate

AUDIO_LIMIT = 32 * 1024 * 1024


class RoutingPageMixin(TenantViewMixin):
    allowed_roles = permissions.VIEW_ROUTINGS

    @property
    def can_manage(self):
        return may_manage_routing(self.membership)

    def require_manage(self):
        if not self.can_manage:
            raise PermissionDenied

    def get_routing(self):
        return selectors.access_routing(
            actor=self.actor, tenant=self.tenant, routing_id=self.kwargs["routing_id"]
        )

    def edit_url(self, routing, anchor=""):
        return (
            reverse(
                "callrouting:edit",
                kwargs={"tenant_slug": self.tenant.slug, "routing_id": routing.pk},
            )
            + anchor
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_manage"] = self.can_manage
        return context


def form_initial(routing) -> dict:
    values = services.draft_values(routing)
    values["numbers"] = "\n".join(values["numbers"])
    return values


class RoutingListView(RoutingPageMixin, TemplateView):
    template_name = "callrouting/list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = []
        for routing in selectors.routings_for(actor=self.actor, tenant=self.tenant):
            current = routing.published_version
            changed = current is None or current.definition != selectors.draft_definition(routing)
            rows.append({"routing": routing, "current": current, "changed": changed})
        context["rows"] = rows
        return context


class RoutingCreateView(RoutingPageMixin, TemplateView):
    template_name = "callrouting/create.html"

    def get(self, request, *args, **kwargs):
        self.require_manage()  # the form is for those who may send it
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["modes"] = Mode.choices
        return context

    def post(self, request, tenant_slug):
        self.require_manage()
        name = request.POST.get("name", "")
        mode = request.POST.get("mode", Mode.OPT_OUT)
        if mode not in Mode.values:
            mode = Mode.OPT_OUT
        try:
            routing = services.create_routing(
                actor=self.actor,
                tenant=self.tenant,
                values=services.default_values(name=name, mode=mode),
            )
        except ValidationError as exc:
            context = self.get_context_data(errors=exc.messages, name=name, mode=mode)
            return self.render_to_response(context, status=400)
        messages.success(
            request, _("Routing created with the default texts. Check them, then publish.")
        )
        return redirect(self.edit_url(routing))


class RoutingEditView(RoutingPageMixin, TemplateView):
    """The draft form, the flow picture (refreshed while typing by callrouting-edit.js),
    the announcement audio per language, the simulator and the publish button."""

    template_name = "callrouting/edit.html"

    def get(self, request, *args, **kwargs):
        self.routing = self.get_routing()
        form = RoutingForm(initial=form_initial(self.routing), prefix=None)
        return self.render_to_response(self.get_context_data(form=form))

    def post(self, request, *args, **kwargs):
        self.require_manage()
        self.routing = self.get_routing()
        form = RoutingForm(request.POST)
        if form.is_valid():
            try:
                services.update_routing(
                    actor=self.actor, routing=self.routing, values=form.values()
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(
                    request,
                    _("Draft saved. The PBX keeps the published version until you publish."),
                )
                return redirect(self.edit_url(self.routing))
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        routing = self.routing
        definition = selectors.draft_definition(routing)
        current = routing.published_version
        context.update(
            {
                "routing": routing,
                "flow_svg": draw(definition),
                "current": current,
                "changes": diff_rows(diff_definitions(current.definition, definition))
                if current
                else None,
                "audio": [self._audio_row(routing, code) for code in routing.languages],
                "default_texts": {str(mode): texts for mode, texts in DEFAULT_TEXTS.items()},
                "simulate_form": SimulateForm(
                    self.request.GET or None, initial={"language": routing.languages[0]}
                ),
            }
        )
        if "behaviour" in self.request.GET:
            form = context["simulate_form"]
            if form.is_valid():
                language = form.cleaned_data["language"]
                if language not in routing.languages:
                    language = routing.languages[0]
                result = simulate(
                    definition,
                    behaviour=form.cleaned_data["behaviour"],
                    language=language,
                    after_seconds=form.cleaned_data.get("after_seconds"),
                )
                context["simulation"] = result.as_dict()
                context["simulation_behaviour"] = CallerBehaviour(result.behaviour).label
                context["simulation_audio_url"] = self._audio_url(
                    routing, language, (result.audio or {}).get("id")
                )
        return context

    def _audio_url(self, routing, language, audio_id=None):
        if audio_id is None:
            return ""
        return (
            reverse(
                "callrouting:audio-file",
                kwargs={
                    "tenant_slug": self.tenant.slug,
                    "routing_id": routing.pk,
                    "language": language,
                },
            )
            + f"?id={audio_id}"
        )

    def _audio_row(self, routing, code):
        item = routing.audio(code)
        return {
            "code": code,
            "item": item,
            "url": self._audio_url(routing, code, item.pk if item else None),
        }


class FlowPreviewView(RoutingPageMixin, View):
    """The flow picture of the values in the query string (the form being edited), or of the
    saved draft without any; invalid values answer 400 with the first problem drawn."""

    def get(self, request, *args, **kwargs):
        routing = self.get_routing()
        base = services.draft_values(routing)
        if request.GET:
            data = {key: request.GET.get(key) for key in request.GET}
            data["languages"] = request.GET.getlist("languages")
            data["covers_all"] = request.GET.get("covers_all") in ("on", "true", "1")
            values = services.clean_values(data, base)
        else:
            values = base
        try:
            from .definition import validate

            validate(values)
        except ValidationError as exc:
            message = exc.messages[0] if exc.messages else _("Invalid")
            svg = (
                '<svg xmlns="http://www.w3.org/2000/svg" class="routing-flow invalid" '
                'viewBox="0 0 760 60" width="100%" role="img"><text x="10" y="35" '
                'font-family="sans-serif" font-size="14" fill="#b42318">'
                + _escape(message)
                + "</text></svg>"
            )
            return HttpResponse(svg, content_type="image/svg+xml", status=400)
        svg = draw(selectors.draft_definition(routing, values))
        response = HttpResponse(svg, content_type="image/svg+xml")
        response["Cache-Control"] = "no-store"
        return response


def _escape(text):
    from xml.sax.saxutils import escape

    return escape(str(text))


class AudioView(RoutingPageMixin, View):
    """POST: generate the announcement of a language from its text, or upload a file."""

    def post(self, request, *args, **kwargs):
        self.require_manage()
        routing = self.get_routing()
        form = AudioUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            messages.error(request, _("Choose a language."))
            return redirect(self.edit_url(routing, "#audio"))
        language = form.cleaned_data["language"]
        upload = form.cleaned_data.get("audio")
        try:
            if upload:
                services.upload_audio(
                    actor=self.actor,
                    routing=routing,
                    language=language,
                    fileobj=upload,
                    name=upload.name,
                    size=upload.size,
                )
                messages.success(request, _("Audio uploaded and converted to telephone quality."))
            else:
                services.generate_audio(actor=self.actor, routing=routing, language=language)
                messages.success(request, _("Announcement generated from the text."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect(self.edit_url(routing, "#audio"))


class AudioFileView(RoutingPageMixin, View):
    """The routing's announcement in ``language`` (the draft's, or ``?id=`` of this routing)
    as WAV, with Range for seeking."""

    def get(self, request, *args, **kwargs):
        routing = self.get_routing()
        language = self.kwargs["language"]
        audio_id = request.GET.get("id")
        qs = RoutingAudio.unscoped.filter(tenant=self.tenant, routing=routing, language=language)
        if audio_id and audio_id.isdigit():
            item = qs.filter(pk=int(audio_id)).first()
        else:
            item = routing.audio(language) if language in ("de", "en") else None
        if item is None:
            raise Http404("No audio.")
        from recordings.storage import ObjectMissing, get_store

        try:
            data = get_store().read_small(item.storage_key, AUDIO_LIMIT)
        except ObjectMissing:
            raise Http404("No audio.") from None
        return wav_response(request, data, filename=f"announcement-{language}.wav")


class PublishView(RoutingPageMixin, View):
    def post(self, request, *args, **kwargs):
        self.require_manage()
        routing = self.get_routing()
        try:
            version = services.publish_routing(actor=self.actor, routing=routing)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(self.edit_url(routing))
        messages.success(
            request,
            _("Version %(n)d is published; the PBX fetches it with its next request.")
            % {"n": version.number},
        )
        return redirect(self.edit_url(routing))


class RollbackView(RoutingPageMixin, View):
    def post(self, request, *args, **kwargs):
        self.require_manage()
        routing = self.get_routing()
        try:
            number = int(request.POST.get("version", ""))
        except ValueError:
            number = 0
        try:
            version = services.rollback_routing(actor=self.actor, routing=routing, number=number)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                _("Version %(old)d is published again as version %(new)d.")
                % {"old": number, "new": version.number},
            )
        return redirect(
            reverse(
                "callrouting:versions",
                kwargs={"tenant_slug": self.tenant.slug, "routing_id": routing.pk},
            )
        )


class VersionsView(RoutingPageMixin, TemplateView):
    """Every version with its changes to the one before, rollback, and the proof report."""

    template_name = "callrouting/versions.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        routing = self.get_routing()
        versions = list(selectors.versions_of(routing))
        report = {row["version"]: row for row in selectors.version_report(routing)}
        rows = []
        for index, version in enumerate(versions):
            older = versions[index + 1] if index + 1 < len(versions) else None
            rows.append(
                {
                    "version": version,
                    "changes": diff_rows(diff_definitions(older.definition, version.definition))
                    if older
                    else None,
                    "report": report.get(version.number),
                    "current": version.pk == routing.published_version_id,
                    "mode_label": Mode(version.definition["mode"]).label,
                }
            )
        context.update({"routing": routing, "rows": rows})
        return context

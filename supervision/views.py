"""Customer-menu pages of supervision: live sessions, grants (list, per agent, per supervisor,
bulk), session history with mode timelines, settings and the agents' own summary."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, TemplateView

from hostedpbx.views import TenantViewMixin
from tenancy import permissions
from tenancy.choices import ALL_ROLES
from tenancy.selectors import pbx_users_for_list

from . import selectors, services
from .choices import Mode, SessionStatus
from .exceptions import SupervisionError
from .feature_code import feature_code_for
from .forms import BulkGrantForm, GrantForm, RevokeForm, SettingsForm, WindowForm

ADMINS = permissions.MANAGE_GRANTS
WATCHERS = permissions.WATCH_SESSIONS
PAGE_SIZE = 50
POLL_SECONDS = 3


class SupervisionPageMixin(TenantViewMixin):
    tab = ""
    allowed_roles = WATCHERS

    @property
    def can_manage(self):
        return selectors.may_manage_grants(self.membership)

    def tenant_users(self):
        return list(pbx_users_for_list(actor=self.actor, tenant=self.tenant).filter(is_active=True))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        role = self.membership.role
        context["tab"] = self.tab
        context["can_manage"] = self.can_manage
        context["mode_labels"] = dict(Mode.choices)
        context["tabs"] = [
            (name, label, reverse(f"supervision:{name}", kwargs={"tenant_slug": self.tenant.slug}))
            for name, label, roles in (
                ("live", _("Live"), WATCHERS),
                ("grants", _("Who may listen to whom"), WATCHERS),
                ("history", _("Session history"), WATCHERS),
                ("grant-bulk", _("Grant in bulk"), ADMINS),
                ("settings", _("Settings"), ADMINS),
            )
            if role in roles
        ]
        return context


def next_url(request, tenant, fallback="supervision:grants"):
    candidate = request.POST.get("next", "")
    if (
        candidate
        and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        and candidate.startswith(f"/t/{tenant.slug}/")
    ):
        return candidate
    return reverse(fallback, kwargs={"tenant_slug": tenant.slug})


def mode_options():
    return [{"value": value, "label": label} for value, label in Mode.choices]


# --- live -----------------------------------------------------------------------------------
class LiveView(SupervisionPageMixin, TemplateView):
    """Who listens to whom, in which mode, since when; the table redraws itself from
    ``live-data`` every few seconds (static/js/supervision-live.js)."""

    template_name = "supervision/live.html"
    tab = "live"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            sessions=selectors.sessions_for_actor(
                actor=self.actor, tenant=self.tenant, status=SessionStatus.LIVE
            ),
            poll_seconds=POLL_SECONDS,
            modes=mode_options(),
        )
        return context


class LiveDataView(SupervisionPageMixin, View):
    def get(self, request, **kwargs):
        return JsonResponse(
            {
                "sessions": selectors.live_sessions_data(actor=self.actor, tenant=self.tenant),
                "now": timezone.now().isoformat(),
            },
            headers={"Cache-Control": "no-store"},
        )


# --- grants ---------------------------------------------------------------------------------
class GrantsView(SupervisionPageMixin, TemplateView):
    template_name = "supervision/grants.html"
    tab = "grants"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        show = self.request.GET.get("show", "")
        active = {"revoked": False, "all": None}.get(show, True)
        grants = selectors.grants_for_actor(
            actor=self.actor,
            tenant=self.tenant,
            active=active,
            agent=self.request.GET.get("agent", "").strip(),
            supervisor=self.request.GET.get("supervisor", "").strip(),
        )
        page = Paginator(grants, PAGE_SIZE).get_page(self.request.GET.get("page"))
        context.update(
            page=page, show=show, now=timezone.now(), next_url=self.request.get_full_path()
        )
        if self.can_manage:
            context["form"] = GrantForm(users=self.tenant_users())
        return context


class GrantAddView(SupervisionPageMixin, View):
    """POST (admins): one grant; refusals come back as a message."""

    allowed_roles = ADMINS
    http_method_names = ["post"]

    def post(self, request, **kwargs):
        form = GrantForm(request.POST, users=self.tenant_users())
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return redirect(next_url(request, self.tenant))
        data = form.cleaned_data
        try:
            grant = services.create_grant(
                actor=self.actor,
                tenant=self.tenant,
                agent=data["agent"],
                supervisor=data["supervisor"],
                valid_from=data["valid_from"],
                valid_until=data["valid_until"],
                purpose=data["purpose"],
            )
        except SupervisionError as exc:
            messages.error(request, exc.detail)
        else:
            messages.success(
                request,
                _("%(sup)s may now listen in on %(agent)s.")
                % {"sup": grant.supervisor.extension, "agent": grant.agent.extension},
            )
        return redirect(next_url(request, self.tenant))


class BulkGrantView(SupervisionPageMixin, FormView):
    """Several agents to one supervisor at once; a result per agent."""

    template_name = "supervision/bulk.html"
    allowed_roles = ADMINS
    tab = "grant-bulk"

    def get_form(self, form_class=None):
        return BulkGrantForm(**self.get_form_kwargs(), users=self.tenant_users())

    def get_initial(self):
        return {"supervisor": self.request.GET.get("supervisor", "")}

    def form_valid(self, form):
        data = form.cleaned_data
        outcomes = services.bulk_grant(
            actor=self.actor,
            tenant=self.tenant,
            supervisor=data["supervisor"],
            agents=data["agents"],
            valid_from=data["valid_from"],
            valid_until=data["valid_until"],
            purpose=data["purpose"],
        )
        granted = sum(1 for outcome in outcomes if outcome.ok)
        if granted:
            messages.success(
                self.request,
                _("%(n)d of %(total)d agents granted.") % {"n": granted, "total": len(outcomes)},
            )
        return self.render_to_response(self.get_context_data(form=form, outcomes=outcomes))


class GrantEditView(SupervisionPageMixin, FormView):
    """Change a grant's window and purpose, or revoke it (admins)."""

    template_name = "supervision/grant_edit.html"
    allowed_roles = WATCHERS
    tab = "grants"

    def get_grant(self):
        if not hasattr(self, "_grant"):
            self._grant = selectors.access_grant(
                actor=self.actor, tenant=self.tenant, grant_id=self.kwargs["grant_id"]
            )
        return self._grant

    def get_form_class(self):
        return WindowForm

    def get_initial(self):
        grant = self.get_grant()
        local = timezone.localtime
        return {
            "valid_from": local(grant.valid_from) if grant.valid_from else None,
            "valid_until": local(grant.valid_until) if grant.valid_until else None,
            "purpose": grant.purpose,
        }

    def post(self, request, *args, **kwargs):
        if not self.can_manage:
            raise PermissionDenied
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            services.update_grant(actor=self.actor, grant=self.get_grant(), **data)
        except SupervisionError as exc:
            form.add_error(None, exc.detail)
            return self.form_invalid(form)
        messages.success(self.request, _("Grant changed."))
        return redirect("supervision:grants", tenant_slug=self.tenant.slug)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(grant=self.get_grant(), revoke_form=RevokeForm(), now=timezone.now())
        return context


class GrantRevokeView(SupervisionPageMixin, View):
    allowed_roles = ADMINS
    http_method_names = ["post"]

    def post(self, request, **kwargs):
        grant = selectors.access_grant(
            actor=self.actor, tenant=self.tenant, grant_id=kwargs["grant_id"]
        )
        form = RevokeForm(request.POST)
        reason = form.cleaned_data["reason"] if form.is_valid() else ""
        try:
            services.revoke_grant(actor=self.actor, grant=grant, reason=reason)
        except SupervisionError as exc:
            messages.error(request, exc.detail)
        else:
            messages.success(
                request,
                _("%(sup)s may no longer listen in on %(agent)s.")
                % {"sup": grant.supervisor.extension, "agent": grant.agent.extension},
            )
        return redirect(next_url(request, self.tenant))


# --- per agent, per supervisor, history -----------------------------------------------------
def session_rows(sessions, now):
    rows = []
    for session in sessions:
        events = list(session.events.all())  # the mode changes, prefetched
        rows.append(
            {
                "session": session,
                "timeline": selectors.mode_timeline(session, events, now=now),
                "supervisors": sorted({p.supervisor_extension for p in session.participants.all()}),
            }
        )
    return rows


class PersonView(SupervisionPageMixin, TemplateView):
    """Grants and session history of one PBX user, as agent or as supervisor."""

    template_name = "supervision/person.html"
    as_role = "agent"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = selectors.access_pbx_user(
            actor=self.actor, tenant=self.tenant, extension=kwargs["extension"]
        )
        if self.as_role == "agent":
            grants = selectors.grants_for_actor(
                actor=self.actor, tenant=self.tenant, agent=user.extension
            )
            sessions = selectors.sessions_for_actor(
                actor=self.actor, tenant=self.tenant, agent=user.extension
            )
        else:
            grants = selectors.grants_for_actor(
                actor=self.actor, tenant=self.tenant, supervisor=user.extension
            )
            sessions = selectors.sessions_for_actor(
                actor=self.actor, tenant=self.tenant, supervisor=user.extension
            )
        page = Paginator(selectors.with_timeline(sessions), 20).get_page(
            self.request.GET.get("page")
        )
        now = timezone.now()
        users = self.tenant_users() if self.can_manage else []
        context.update(
            person=user,
            as_role=self.as_role,
            grants=grants,
            now=now,
            page=page,
            rows=session_rows(page, now),
            next_url=self.request.get_full_path(),
            feature_code=feature_code_for(user.extension),
            form=GrantForm(users=users, initial={self.as_role: user.extension})
            if self.can_manage
            else None,
            tab="grants",
        )
        return context


class HistoryView(SupervisionPageMixin, TemplateView):
    template_name = "supervision/history.html"
    tab = "history"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        agent = self.request.GET.get("agent", "").strip()
        supervisor = self.request.GET.get("supervisor", "").strip()
        sessions = selectors.sessions_for_actor(
            actor=self.actor, tenant=self.tenant, agent=agent, supervisor=supervisor
        )
        page = Paginator(selectors.with_timeline(sessions), PAGE_SIZE).get_page(
            self.request.GET.get("page")
        )
        now = timezone.now()
        context.update(page=page, rows=session_rows(page, now), agent=agent, supervisor=supervisor)
        return context


class SessionView(SupervisionPageMixin, TemplateView):
    template_name = "supervision/session.html"
    tab = "history"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        session = selectors.access_session(
            actor=self.actor, tenant=self.tenant, session_id=kwargs["session_id"]
        )
        events = list(selectors.history_of(session))
        context.update(
            session=session,
            events=events,
            timeline=selectors.mode_timeline(session, events),
            participants=list(session.participants.all()),
            is_live=session.status == SessionStatus.LIVE,
        )
        return context


# --- settings and the agents' own view ------------------------------------------------------
class SettingsView(SupervisionPageMixin, FormView):
    template_name = "supervision/settings.html"
    form_class = SettingsForm
    allowed_roles = ADMINS
    tab = "settings"

    def get_initial(self):
        row = services.settings_for(self.tenant)
        return {name: getattr(row, name) for name in services.SETTINGS_FIELDS}

    def form_valid(self, form):
        services.update_settings(actor=self.actor, tenant=self.tenant, **form.cleaned_data)
        messages.success(self.request, _("Supervision settings saved."))
        return redirect("supervision:settings", tenant_slug=self.tenant.slug)


class MyMonitoringView(TenantViewMixin, TemplateView):
    """An agent's summary of past monitoring of their own calls, when the tenant allows it."""

    template_name = "supervision/my_monitoring.html"
    allowed_roles = ALL_ROLES

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        settings = services.settings_for(self.tenant)
        allowed = selectors.may_see_own_summary(self.membership, settings)
        context.update(
            allowed=allowed,
            is_agent=permissions.may_see_own_monitoring(self.membership),
            option_on=settings.agents_see_summary,
            mode_labels=dict(Mode.choices),
        )
        if allowed:
            context["summary"] = selectors.agent_summary(
                tenant=self.tenant, pbx_user=self.membership.pbx_user
            )
            context["timelines"] = [
                (session, selectors.mode_timeline(session))
                for session in context["summary"]["recent"]
            ]
        return context

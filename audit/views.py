"""Customer-menu pages of the audit part: the readable review, one event, compliance settings."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from hostedpbx.views import TenantViewMixin
from tenancy import permissions
from tenancy.models import Membership

from . import actions, selectors, services
from .api.filters import AuditEventFilter
from .chain import verify
from .forms import ComplianceSettingsForm
from .models import AuditCheckpoint, AuditEvent, chain_key
from .permissions import may_reset_two_factor
from .signing import fingerprint, public_key_b64

REVIEWERS = permissions.REVIEW_AUDIT


def _signing_context(tenant):
    public = public_key_b64()
    return {
        "public_key": public, "public_key_fingerprint": fingerprint(public),
        "last_checkpoint": AuditCheckpoint.objects.filter(chain=chain_key(tenant.pk))
        .order_by("-seq").first(),
    }


class AuditTrailView(TenantViewMixin, TemplateView):
    """The tenant's audit trail for people: labels, named objects, before → after, filters by
    category, access events behind a toggle, the chain's verification badge, export links."""

    template_name = "audit/trail.html"
    allowed_roles = REVIEWERS

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        events = AuditEvent.objects.for_actor(self.actor, self.tenant).order_by("-seq")
        params = self.request.GET.copy()
        show_access = params.get("access") == "true"
        if not show_access and params.get("category") != "recordings":
            params["access"] = "false"
        filterset = AuditEventFilter(params, queryset=events)
        queryset = filterset.qs if filterset.is_valid() else events.none()
        hidden_access = 0
        if params.get("access") == "false":
            with_access = params.copy()
            with_access["access"] = "true"
            hidden_access = AuditEventFilter(with_access, queryset=events).qs.count() if (
                filterset.is_valid()) else 0
        page = Paginator(queryset, 50).get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        query.pop("verify", None)
        access_query = query.copy()
        access_query["access"] = "true"
        if self.request.GET.get("verify"):
            result = verify(self.tenant)
            selectors.remember_verification(self.tenant, result)
            context["verification"] = result
        context.update(
            page=page,
            rows=selectors.review_rows(page.object_list, self.tenant, self.membership),
            filters=self.request.GET, errors=filterset.errors, query=query.urlencode(),
            page_query=query.urlencode(), access_query=access_query.urlencode(),
            show_access=show_access, hidden_access=hidden_access,
            categories=actions.category_choices(), action_choices=actions.choices(),
            verified=selectors.last_verification(self.tenant),
            **_signing_context(self.tenant),
        )
        return context


class AuditEventDetailView(TenantViewMixin, TemplateView):
    template_name = "audit/event.html"
    allowed_roles = REVIEWERS

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        event = AuditEvent.objects.for_actor(self.actor, self.tenant).filter(
            pk=kwargs["event_id"]).first()
        if event is None:
            raise Http404
        [row] = selectors.review_rows([event], self.tenant, self.membership)
        context.update(row=row, event=event)
        return context


class ComplianceSettingsView(TenantViewMixin, TemplateView):
    """Audit retention, the regulated flag, two-factor login for all; who has set up 2FA."""

    template_name = "audit/settings.html"
    allowed_roles = REVIEWERS

    def get_context_data(self, **kwargs):
        from twofactor.services import has_confirmed_device

        context = super().get_context_data(**kwargs)
        current = services.compliance_settings(self.tenant)
        members = Membership.unscoped.filter(tenant=self.tenant).select_related("user").order_by(
            "user__username")
        context.update(
            form=kwargs.get("form") or ComplianceSettingsForm(instance=current),
            regulated_min_days=services.REGULATED_MIN_DAYS,
            accounts=[{"membership": m, "enrolled": has_confirmed_device(m.user),
                       "required": permissions.role_always_needs_two_factor(m.role)
                       or current.require_2fa_for_all}
                      for m in members],
            may_reset=may_reset_two_factor(self.membership),
            **_signing_context(self.tenant),
        )
        return context

    def post(self, request, *args, **kwargs):
        current = services.compliance_settings(self.tenant)
        form = ComplianceSettingsForm(request.POST, instance=current)
        if form.is_valid():
            try:
                services.update_compliance_settings(
                    actor=request.user, tenant=self.tenant,
                    **{name: form.cleaned_data[name] for name in services.SETTINGS_FIELDS})
            except ValidationError as error:
                for field, problems in error.message_dict.items():
                    for problem in problems:
                        form.add_error(field if field in form.fields else None, problem)
            else:
                messages.success(request, _("Compliance settings saved."))
                return redirect("audit:compliance-settings", tenant_slug=self.tenant.slug)
        form.instance.refresh_from_db()
        return self.render_to_response(self.get_context_data(form=form, **kwargs))

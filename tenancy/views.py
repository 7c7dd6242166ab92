import secrets
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.generic import FormView, TemplateView

from hostedpbx.dashboard import tiles_for
from hostedpbx.views import TenantViewMixin

from . import auth, services
from .choices import Role
from .forms import MembershipForm, PbxUserForm, PortalAuthenticationForm
from .models import Membership
from .selectors import access_pbx_user, pbx_users_for_list


def add_errors(form, exc: ValidationError):
    """Show a service's ValidationError on the form (field errors where the field exists)."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.message_dict.items():
        for error in errors:
            form.add_error(field if field in form.fields else None, error)


class PortalLoginView(auth_views.LoginView):
    template_name = "tenancy/login.html"
    authentication_form = PortalAuthenticationForm
    redirect_authenticated_user = True


class PortalLogoutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            auth.audit_logout(account=request.user, ip=auth.client_ip(request))
        return super().post(request, *args, **kwargs)


class DashboardView(TenantViewMixin, TemplateView):
    """The tenant's overview: one tile per figure that each part contributes."""

    template_name = "tenancy/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["tiles"] = tiles_for(actor=self.actor, tenant=self.tenant,
                                     membership=self.membership)
        return context


class PbxUserListView(TenantViewMixin, TemplateView):
    template_name = "tenancy/pbx_user_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.get("q", "").strip()
        users = pbx_users_for_list(actor=self.actor, tenant=self.tenant, query=query)
        page = Paginator(users, 50).get_page(self.request.GET.get("page"))
        context.update(page=page, query=query, can_edit=self.membership.role == Role.ADMIN,
                       page_query=urlencode({"q": query}) if query else "")
        return context


class PbxUserEditView(TenantViewMixin, FormView):
    """Create (no ``extension`` in the URL) or edit a PBX user; admins only."""

    template_name = "tenancy/pbx_user_form.html"
    form_class = PbxUserForm
    allowed_roles = frozenset({Role.ADMIN})

    def get_object(self):
        extension = self.kwargs.get("extension")
        if extension is None:
            return None
        return access_pbx_user(actor=self.actor, tenant=self.tenant, extension=extension)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        self.object = self.get_object()
        kwargs["instance"] = self.object
        kwargs["editing"] = self.object is not None
        return kwargs

    def form_valid(self, form):
        data = dict(form.cleaned_data)
        try:
            if self.object is None:
                user = services.create_pbx_user(actor=self.actor, tenant=self.tenant, **data)
                messages.success(self.request, _("PBX user %(ext)s created.") % {
                    "ext": user.extension})
            else:
                data.pop("extension", None)
                user = services.update_pbx_user(actor=self.actor, pbx_user=self.object, **data)
                messages.success(self.request, _("PBX user %(ext)s saved.") % {
                    "ext": user.extension})
        except ValidationError as exc:
            add_errors(form, exc)
            return self.form_invalid(form)
        return redirect("tenancy:pbx-users", tenant_slug=self.tenant.slug)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["object"] = self.object
        return context


class MembershipListView(TenantViewMixin, TemplateView):
    """The tenant's portal accounts and their roles (admins)."""

    template_name = "tenancy/membership_list.html"
    allowed_roles = frozenset({Role.ADMIN})

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["memberships"] = (
            Membership.objects.for_actor(self.actor, self.tenant)
            .select_related("user", "pbx_user").order_by("user__username")
        )
        return context


class MembershipEditView(TenantViewMixin, FormView):
    """Add an account (a new one gets a one-time password shown here once), or change the
    role and extension of an existing membership, or remove it."""

    template_name = "tenancy/membership_form.html"
    form_class = MembershipForm
    allowed_roles = frozenset({Role.ADMIN})

    def get_object(self):
        membership_id = self.kwargs.get("membership_id")
        if membership_id is None:
            return None
        membership = Membership.objects.for_actor(self.actor, self.tenant).filter(
            pk=membership_id).select_related("user").first()
        if membership is None:
            raise Http404
        return membership

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        self.object = self.get_object()
        kwargs["tenant"] = self.tenant
        kwargs["editing"] = self.object is not None
        if self.object is not None:
            user = self.object.user
            kwargs["initial"] = {"username": user.username, "first_name": user.first_name,
                                 "last_name": user.last_name, "email": user.email,
                                 "role": self.object.role, "pbx_user": self.object.pbx_user}
        return kwargs

    def post(self, request, *args, **kwargs):
        if "remove" in request.POST:
            self.object = self.get_object()
            if self.object is None:
                raise Http404
            try:
                services.remove_membership(actor=self.actor, membership=self.object)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
                return redirect("tenancy:membership-edit", tenant_slug=self.tenant.slug,
                                membership_id=self.object.pk)
            messages.success(request, _("%(user)s was removed from this tenant.") % {
                "user": self.object.user.username})
            return redirect("tenancy:memberships", tenant_slug=self.tenant.slug)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            if self.object is None:
                password = secrets.token_urlsafe(12)
                existing = get_user_model().objects.filter(username=data["username"]).exists()
                if Membership.unscoped.filter(tenant=self.tenant,
                                              user__username=data["username"]).exists():
                    form.add_error("username", _("This account belongs to the tenant already."))
                    return self.form_invalid(form)
                services.create_portal_user(
                    actor=self.actor, tenant=self.tenant, username=data["username"],
                    password=None if existing else password, role=data["role"],
                    pbx_user=data["pbx_user"], email=data["email"],
                    first_name=data["first_name"], last_name=data["last_name"])
                if existing:
                    messages.success(self.request, _(
                        "The existing account %(user)s now has access to this tenant.") % {
                        "user": data["username"]})
                else:
                    messages.warning(self.request, _(
                        "Account %(user)s created. One-time password (shown only now): "
                        "%(password)s") % {"user": data["username"], "password": password})
            else:
                services.update_membership(actor=self.actor, membership=self.object,
                                           role=data["role"], pbx_user=data["pbx_user"])
                messages.success(self.request, _("Saved."))
        except ValidationError as exc:
            add_errors(form, exc)
            return self.form_invalid(form)
        return redirect("tenancy:memberships", tenant_slug=self.tenant.slug)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["object"] = self.object
        return context

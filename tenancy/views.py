from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.generic import FormView, TemplateView

from hostedpbx.views import TenantViewMixin

from . import auth, services
from .choices import Role
from .forms import PbxUserForm, PortalAuthenticationForm
from .models import Membership
from .selectors import access_pbx_user, pbx_users_for_list


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
    template_name = "tenancy/dashboard.html"

    def get_context_data(self, **kwargs):
        from tenancy.models import PbxUser

        context = super().get_context_data(**kwargs)
        users = PbxUser.objects.for_actor(self.actor, self.tenant)
        context["pbx_user_count"] = users.count()
        context["member_count"] = Membership.objects.for_actor(self.actor, self.tenant).count()
        context["own_pbx_user"] = self.membership.pbx_user
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
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
            return self.form_invalid(form)
        return redirect("tenancy:pbx-users", tenant_slug=self.tenant.slug)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["object"] = self.object
        return context

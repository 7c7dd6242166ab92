import datetime
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, TemplateView

from hostedpbx.dashboard import tiles_for
from hostedpbx.parts import collect_panels
from hostedpbx.views import TenantViewMixin
from tenancy import permissions

from . import auth, services
from .forms import (
    ApiTokenForm,
    InvitationForm,
    MembershipForm,
    PasswordChangeForm,
    PbxUserForm,
    PortalAuthenticationForm,
)
from .models import ApiToken, Membership
from .selectors import (
    access_invitation,
    access_own_invitation,
    access_pbx_user,
    invitations_for_tenant,
    pbx_users_for_list,
    pending_invitations_for_account,
)


def person_label(account) -> str:
    """"Nina Neu (neu.agent)", or the username alone when the account has no name."""
    name = account.get_full_name()
    return f"{name} ({account.get_username()})" if name else account.get_username()


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


class LoggedOutView(TemplateView):
    """Confirms the logout (API tokens stay valid: they are managed on their own page)."""

    template_name = "tenancy/logged_out.html"


class PasswordChangeView(LoginRequiredMixin, FormView):
    """A person changes their own password; required after a one-time password."""

    template_name = "tenancy/password_change.html"
    form_class = PasswordChangeForm

    def form_valid(self, form):
        try:
            services.change_own_password(actor=self.request.user,
                                         old_password=form.cleaned_data["old_password"],
                                         new_password=form.cleaned_data["new_password1"])
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                add_errors(form, exc)
            else:
                for message in exc.messages:
                    form.add_error("new_password1", message)
            return self.form_invalid(form)
        update_session_auth_hash(self.request, self.request.user)
        self.request.session.pop(auth.MUST_CHANGE_SESSION_KEY, None)
        messages.success(self.request, _("Your password has been changed."))
        target = self.request.GET.get("next", "")
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={self.request.get_host()},
                                               require_https=self.request.is_secure()):
            target = reverse("home")
        return redirect(target)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["required"] = auth.must_change_password(self.request.user)
        return context


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
        context.update(page=page, query=query,
                       can_edit=permissions.may_manage_pbx_users(self.membership),
                       page_query=urlencode({"q": query}) if query else "")
        return context


class PbxUserDetailView(TenantViewMixin, TemplateView):
    """One PBX user, with the panels other parts contribute (``<app>/pbx_user_panels.py``:
    licences, supervision, ...), so that this part never imports theirs."""

    template_name = "tenancy/pbx_user_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        pbx_user = access_pbx_user(actor=self.actor, tenant=self.tenant,
                                   extension=self.kwargs["extension"])
        panels = collect_panels("pbx_user_panels", actor=self.actor, tenant=self.tenant,
                                membership=self.membership, pbx_user=pbx_user)
        base = {"tenant": self.tenant, "membership": self.membership, "pbx_user": pbx_user}
        context.update(
            pbx_user=pbx_user,
            can_edit=permissions.may_manage_pbx_users(self.membership),
            panels=[(panel.title, render_to_string(panel.template, {**base, **panel.context},
                                                   request=self.request))
                    for panel in panels],
        )
        return context


class PbxUserEditView(TenantViewMixin, FormView):
    """Create (no ``extension`` in the URL) or edit a PBX user; admins only."""

    template_name = "tenancy/pbx_user_form.html"
    form_class = PbxUserForm
    allowed_roles = permissions.MANAGE_PBX_USERS

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
    allowed_roles = permissions.MANAGE_ACCOUNTS

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
    allowed_roles = permissions.MANAGE_ACCOUNTS

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
        if "remove" in request.POST or "reset_password" in request.POST:
            self.object = self.get_object()
            if self.object is None:
                raise Http404
        if "remove" in request.POST:
            person = person_label(self.object.user)
            try:
                services.remove_membership(actor=self.actor, membership=self.object)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
                return redirect("tenancy:membership-edit", tenant_slug=self.tenant.slug,
                                membership_id=self.object.pk)
            messages.success(request, _("%(person)s was removed from this tenant.") % {
                "person": person})
            return redirect("tenancy:memberships", tenant_slug=self.tenant.slug)
        if "reset_password" in request.POST:
            try:
                password = services.reset_password(actor=self.actor, membership=self.object)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
                return redirect("tenancy:membership-edit", tenant_slug=self.tenant.slug,
                                membership_id=self.object.pk)
            return self.show_password(self.object, password, created=False)
        return super().post(request, *args, **kwargs)

    def show_password(self, membership, password, *, created):
        """The one-time password, in this response only: never in a cookie or a message."""
        return render(self.request, "tenancy/one_time_password.html", {
            "tenant": self.tenant, "membership": self.membership, "account": membership.user,
            "person": person_label(membership.user), "password": password, "created": created,
        })

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            if self.object is None:
                added = services.add_account(
                    actor=self.actor, tenant=self.tenant, name=data["username"],
                    role=data["role"], pbx_user=data["pbx_user"], email=data["email"],
                    first_name=data["first_name"], last_name=data["last_name"])
                if added.invitation is not None:
                    # A name of the namespace that this tenant never had: invited, and
                    # answered exactly like any invitation.
                    return invitation_sent(self.request, self.tenant, self.membership)
                return self.show_password(added.membership, added.password, created=True)
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
        context["person"] = person_label(self.object.user) if self.object else ""
        context["belongs_elsewhere"] = bool(self.object and services.belongs_elsewhere(self.object))
        return context


def invitation_sent(request, tenant, membership):
    """The one reply to an invitation: the same bytes whether or not the account exists (it
    does not even repeat the name, so two replies can be compared byte for byte)."""
    return render(request, "tenancy/invitation_sent.html", {
        "tenant": tenant, "membership": membership})


class InvitationListView(TenantViewMixin, FormView):
    """Invite an existing account, and the tenant's invitations by what was typed, with their
    status; pending ones can be revoked (admins)."""

    template_name = "tenancy/invitation_list.html"
    form_class = InvitationForm
    allowed_roles = permissions.MANAGE_ACCOUNTS

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["tenant"] = self.tenant
        return kwargs

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            services.invite_account(
                actor=self.actor, tenant=self.tenant, username=data["username"],
                role=data["role"], pbx_user=data["pbx_user"])
        except ValidationError as exc:
            add_errors(form, exc)
            return self.form_invalid(form)
        return invitation_sent(self.request, self.tenant, self.membership)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        now = timezone.now()
        context["invitations"] = [
            (invitation, invitation.status(now))
            for invitation in invitations_for_tenant(actor=self.actor, tenant=self.tenant)[:200]
        ]
        return context


class InvitationRevokeView(TenantViewMixin, View):
    allowed_roles = permissions.MANAGE_ACCOUNTS

    def post(self, request, tenant_slug, invitation_id):
        invitation = access_invitation(actor=self.actor, tenant=self.tenant,
                                       invitation_id=invitation_id)
        try:
            services.revoke_invitation(actor=self.actor, invitation=invitation)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The invitation of %(username)s was revoked.") % {
                "username": invitation.username})
        return redirect("tenancy:invitations", tenant_slug=self.tenant.slug)


class OwnInvitationListView(LoginRequiredMixin, TemplateView):
    """The signed-in person's open invitations into other tenants: accept or decline."""

    template_name = "tenancy/own_invitations.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["invitations"] = pending_invitations_for_account(self.request.user)
        return context


class OwnInvitationAnswerView(LoginRequiredMixin, View):
    """Accept or decline one of the person's own invitations; anyone else's answers 404."""

    accept = True

    def post(self, request, invitation_id):
        invitation = access_own_invitation(account=request.user, invitation_id=invitation_id)
        try:
            if self.accept:
                services.accept_invitation(actor=request.user, invitation=invitation)
            else:
                services.decline_invitation(actor=request.user, invitation=invitation)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("account:invitations")
        if self.accept:
            messages.success(request, _("You are now a member of %(tenant)s.") % {
                "tenant": invitation.tenant.name})
            return redirect("tenancy:dashboard", tenant_slug=invitation.tenant.slug)
        messages.success(request, _("The invitation of %(tenant)s was declined.") % {
            "tenant": invitation.tenant.name})
        return redirect("account:invitations")


class ApiTokenListView(LoginRequiredMixin, FormView):
    """The person's own API tokens: create (shown once), list and revoke."""

    template_name = "tenancy/api_tokens.html"
    form_class = ApiTokenForm

    def tokens(self):
        return ApiToken.objects.filter(user=self.request.user)

    def form_valid(self, form):
        days = form.cleaned_data["expires_in"]
        expires_at = None if days == "never" else timezone.now() + datetime.timedelta(
            days=int(days))
        try:
            token, key = services.create_api_token(actor=self.request.user,
                                                   name=form.cleaned_data["name"],
                                                   expires_at=expires_at)
        except ValidationError as exc:
            add_errors(form, exc)
            return self.form_invalid(form)
        # The key is in this response only: never in a cookie or a message.
        return self.render_to_response(self.get_context_data(
            form=self.form_class(), new_token=token, new_key=key))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["tokens"] = self.tokens()
        context["now"] = timezone.now()
        return context


class ApiTokenRevokeView(LoginRequiredMixin, View):
    def post(self, request, token_id):
        token = ApiToken.objects.filter(user=request.user, pk=token_id).first()
        if token is None:
            raise Http404
        services.revoke_api_token(actor=request.user, token=token)
        messages.success(request, _("The token %(name)s was revoked.") % {"name": token.name})
        return redirect("account:tokens")

"""Pages of two-factor login: enrol (QR code), verify at sign-in, recovery codes, admin reset."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticToken

from audit.permissions import may_reset_two_factor
from hostedpbx.views import TenantViewMixin
from tenancy.models import Membership
from tenancy.services import belongs_elsewhere

from . import services
from .policy import requires_two_factor
from .qr import qr_svg


def _next_url(request, default="/"):
    target = request.POST.get("next") or request.GET.get("next") or default
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return target
    return default


class _AccountView(LoginRequiredMixin, View):
    def needs_verification(self, request) -> bool:
        """An account with an authenticator must confirm it before changing anything here."""
        return services.has_confirmed_device(request.user) and not request.user.is_verified()


class ManageView(_AccountView):
    def get(self, request):
        if self.needs_verification(request):
            return redirect(f"/account/2fa/verify/?next={request.path}")
        user = request.user
        context = {
            "enrolled": services.has_confirmed_device(user),
            "required": requires_two_factor(user),
            "codes_left": StaticToken.objects.filter(device__user=user).count(),
        }
        return render(request, "twofactor/manage.html", context)


class EnrolView(_AccountView):
    """Show a new authenticator secret as a QR code; a correct code confirms it."""

    def _render(self, request, device, error=""):
        return render(request, "twofactor/enrol.html", {
            "qr": qr_svg(device.config_url), "secret": _base32(device.bin_key),
            "error": error, "next": _next_url(request, ""),
        })

    def get(self, request):
        if self.needs_verification(request):
            return redirect(f"/account/2fa/verify/?next={request.path}")
        return self._render(request, services.pending_device(request.user))

    def post(self, request):
        if self.needs_verification(request):
            return redirect(f"/account/2fa/verify/?next={request.path}")
        device = services.pending_device(request.user)
        codes = services.confirm_enrolment(actor=request.user, device=device,
                                           token=request.POST.get("token", ""))
        if codes is None:
            return self._render(request, device, _("The code is not right. Enter the code the "
                                                   "app shows now."))
        otp_login(request, device)
        return render(request, "twofactor/codes.html",
                      {"codes": codes, "next": _next_url(request), "enrolled": True})


class VerifyView(_AccountView):
    """The second step of signing in: a code from the app, or a recovery code."""

    def get(self, request):
        if not services.has_confirmed_device(request.user):
            return redirect("twofactor:enrol")
        return render(request, "twofactor/verify.html", {"next": _next_url(request, "")})

    def post(self, request):
        device = services.verify_code(actor=request.user, token=request.POST.get("token", ""))
        if device is None:
            return render(request, "twofactor/verify.html", {
                "next": _next_url(request, ""),
                "error": _("The code is not right, or too many attempts: wait a moment and "
                           "try again."),
            }, status=400)
        otp_login(request, device)
        return redirect(_next_url(request))


class RecoveryCodesView(_AccountView):
    def post(self, request):
        if not request.user.is_verified():
            raise PermissionDenied
        codes = services.renew_recovery_codes(actor=request.user)
        return render(request, "twofactor/codes.html", {"codes": codes, "next": "/account/2fa/"})


class ResetView(TenantViewMixin, View):
    """An admin removes another account's second factors (lost phone)."""

    def _target(self, membership_id):
        target = Membership.unscoped.select_related("user").filter(
            pk=membership_id, tenant=self.tenant).first()
        if target is None:
            raise Http404
        if not may_reset_two_factor(self.membership):
            raise PermissionDenied
        return target

    def get(self, request, tenant_slug, membership_id):
        target = self._target(membership_id)
        return render(request, "twofactor/reset.html", {
            "tenant": self.tenant, "membership": self.membership, "target": target,
            "enrolled": services.has_confirmed_device(target.user),
            "belongs_elsewhere": belongs_elsewhere(target)})

    def post(self, request, tenant_slug, membership_id):
        target = self._target(membership_id)
        try:
            services.reset_two_factor(actor=request.user, tenant=self.tenant, membership=target)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Two-factor login of %(user)s was reset.")
                             % {"user": target.user.get_username()})
        return redirect("audit:compliance-settings", tenant_slug=self.tenant.slug)


def _base32(raw: bytes) -> str:
    from base64 import b32encode

    text = b32encode(raw).decode().rstrip("=")
    return " ".join(text[i:i + 4] for i in range(0, len(text), 4))

"""Send a signed-in account that needs a second factor, and has not given it in this session,
to the verify (or enrol) page. Runs after django-otp's ``OTPMiddleware``; needs no change to
the login view. API requests with a token carry no session and are not affected; API requests
on an unverified session answer 403 ``two_factor_required``."""

from urllib.parse import quote

from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from .policy import requires_two_factor

ALLOWED_PREFIXES = ("/account/2fa/", "/logout/", "/static/", "/i18n/", "/jsi18n/", "/healthz",
                    "/login/", "/favicon")


class TwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated and not user.is_verified()
                and not request.path_info.startswith(ALLOWED_PREFIXES)
                and requires_two_factor(user)):
            if request.path_info.startswith("/api/"):
                return JsonResponse({"code": "two_factor_required",
                                     "detail": "Confirm the second factor of this session first "
                                               "(or use an API token)."}, status=403)
            from .services import has_confirmed_device

            target = "twofactor:verify" if has_confirmed_device(user) else "twofactor:enrol"
            return redirect(f"{reverse(target)}?next={quote(request.get_full_path())}")
        return self.get_response(request)

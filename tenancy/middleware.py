"""An account signed in with a one-time password reaches nothing but the password change.

The flag sits in the session (set at login by ``tenancy.auth.remember_password_change``), so
this costs no query per request. API tokens cannot be obtained before the change.
"""

from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from .auth import MUST_CHANGE_SESSION_KEY

# The second factor comes first (twofactor.middleware), then the new password.
ALLOWED_PREFIXES = ("/static/", "/i18n/", "/jsi18n/", "/account/2fa/")


class PasswordChangeRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and session.get(MUST_CHANGE_SESSION_KEY):
            allowed = (
                reverse("account:password-change"),
                reverse("logout"),
                reverse("logged-out"),
            )
            path = request.path
            if path not in allowed and not path.startswith(ALLOWED_PREFIXES):
                if path.startswith("/api/"):
                    from hostedpbx.errors import api_error

                    return api_error(
                        "password_change_required",
                        _("Choose your own password in the menu first."),
                        403,
                    )
                return redirect(f"{reverse('account:password-change')}?next={path}")
        return self.get_response(request)

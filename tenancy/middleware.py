"""An account signed in with a one-time password reaches nothing but the password change."""

from django.shortcuts import redirect
from django.urls import reverse

ALLOWED_PREFIXES = ("/static/", "/i18n/", "/jsi18n/")


class PasswordChangeRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not getattr(user, "is_pbx_node", False):
            from .auth import must_change_password

            allowed = (reverse("account:password-change"), reverse("logout"), reverse("logged-out"))
            path = request.path
            if (
                path not in allowed
                and not path.startswith(ALLOWED_PREFIXES)
                and (must_change_password(user))
            ):
                if path.startswith("/api/"):
                    from hostedpbx.errors import api_error

                    return api_error(
                        "password_change_required",
                        "Choose your own password in the menu first.",
                        403,
                    )
                return redirect(f"{reverse('account:password-change')}?next={path}")
        return self.get_response(request)

"""Request-wide context: the portal language and the client address for audit events."""

from django.conf import settings
from django.utils import translation

from audit.chain import request_ip

SUPPORTED = {code for code, _ in settings.LANGUAGES}


class PortalLocaleMiddleware:
    """German by default, English on request.

    Order: ``?lang=`` (also stored in the cookie), the language cookie set by the language
    switcher (Django's ``set_language``), then German. The browser's Accept-Language is not
    used: the portal is German unless a person asks otherwise. Also records the client
    address for audit events of this request.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = request_ip.set(request.META.get("REMOTE_ADDR", "") or "")
        try:
            language = request.GET.get("lang")
            remember = language in SUPPORTED
            if not remember:
                language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
            if language not in SUPPORTED:
                language = settings.LANGUAGE_CODE
            translation.activate(language)
            request.LANGUAGE_CODE = language
            response = self.get_response(request)
            response.headers.setdefault("Content-Language", language)
            if remember:
                response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language,
                                    max_age=365 * 24 * 3600, samesite="Lax")
            return response
        finally:
            translation.deactivate()
            request_ip.reset(token)

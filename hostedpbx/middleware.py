"""Request-wide context: the portal language and the client address for audit events."""

from django.conf import settings
from django.middleware import common as django_common
from django.utils import translation
from django.utils.translation import gettext as _

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
        from tenancy.auth import client_ip

        token = request_ip.set(client_ip(request))
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


class SecurityHeadersMiddleware:
    """A Content-Security-Policy without inline script on every response, and
    ``Cache-Control: no-store`` on everything but static files.

    Pages and API responses show recordings, audit data and accounts; none of them may stay
    in a shared or browser cache. A view that sets its own Cache-Control keeps it.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = settings.CONTENT_SECURITY_POLICY
        self.static_prefix = settings.STATIC_URL or "/static/"

    def __call__(self, request):
        response = self.get_response(request)
        if self.policy:
            response.headers.setdefault("Content-Security-Policy", self.policy)
        if not request.path.startswith(self.static_prefix):
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def json_depth_exceeds(body: bytes, limit: int) -> bool:
    """True when the JSON text nests arrays/objects deeper than ``limit`` (strings skipped).

    ``json.loads`` recurses once per level and a 2 KB body of ``[[[[…`` raises
    ``RecursionError``; this scan is linear and recursion-free, so it runs before parsing.
    """
    depth = 0
    in_string = False
    escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return False


class ApiInputGuardMiddleware:
    """Refuses hostile input under /api/ before any parser sees it, as ``{"code","detail"}``:

    - a JSON body larger than ``API_JSON_MAX_BYTES`` (413 ``request_too_large``);
    - JSON nested deeper than ``API_JSON_MAX_DEPTH`` (400 ``json_too_deep``);
    - a NUL byte in the query string (400 ``invalid_input``; PostgreSQL refuses it later).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.core.exceptions import RequestDataTooBig

        from hostedpbx.errors import api_error, is_api

        if not is_api(request):
            return self.get_response(request)
        if "\x00" in request.META.get("QUERY_STRING", "") or "%00" in request.META.get(
                "QUERY_STRING", ""):
            return api_error("invalid_input", _("The query contains a NUL character."), 400)
        content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
        if content_type == "application/json" or content_type.endswith("+json"):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > settings.API_JSON_MAX_BYTES:
                return api_error("request_too_large", _("The JSON body is too large."), 413)
            try:
                body = request.body
            except RequestDataTooBig:
                return api_error("request_too_large", _("The JSON body is too large."), 413)
            if len(body) > settings.API_JSON_MAX_BYTES:
                return api_error("request_too_large", _("The JSON body is too large."), 413)
            if json_depth_exceeds(body, settings.API_JSON_MAX_DEPTH):
                return api_error("json_too_deep", _("The JSON body is nested too deeply."), 400)
            if b"\\u0000" in body:
                return api_error("invalid_input", _("The JSON body contains a NUL character."),
                                 400)
        return self.get_response(request)


class CommonMiddleware(django_common.CommonMiddleware):
    """Django's ``CommonMiddleware``; under /api/ an address without its trailing slash is
    answered 308 (the client repeats the same method with the same body, where Django's 301
    turns a POST into a GET without its body) with a JSON ``{"code", "detail"}`` naming the
    address, instead of an HTML redirect (or, with ``DEBUG``, a ``RuntimeError`` for POST)."""

    def process_response(self, request, response):
        from hostedpbx.errors import api_error, is_api

        if (is_api(request) and response.status_code == 404
                and self.should_redirect_with_slash(request)):
            location = request.get_full_path(force_append_slash=True)
            return api_error("trailing_slash_missing",
                             _("Addresses of this API end with a slash: %(location)s")
                             % {"location": location}, 308,
                             Location=location)
        return super().process_response(request, response)

"""Error pages: JSON ``{"code", "detail"}`` under /api/, the portal's own pages elsewhere.

Django calls these for errors raised outside DRF's views too: an unknown URL (404), a body
over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (413), too many form fields or a bad request (400) and
any unhandled exception (500), so that an API client always gets the same JSON shape.
"""

from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def is_api(request):
    return request.path.startswith("/api/")


def api_error(code, detail, status, **headers):
    response = JsonResponse({"code": code, "detail": detail}, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def page_not_found(request, exception=None):
    if is_api(request):
        return api_error("not_found", _("Not found."), 404)
    return render(request, "errors/404.html", status=404)


def permission_denied(request, exception=None):
    if is_api(request):
        return api_error("permission_denied", _("Forbidden."), 403)
    return render(request, "errors/403.html", status=403)


def bad_request(request, exception=None):
    too_big = isinstance(exception, RequestDataTooBig)
    if is_api(request):
        if too_big:
            return api_error("request_too_large", _("The request body is too large."), 413)
        return api_error("bad_request", _("The request could not be read."), 400)
    return render(request, "errors/400.html", status=413 if too_big else 400)


def server_error(request):
    if is_api(request):
        return api_error("server_error",
                         _("An internal error occurred; it has been logged."), 500)
    return render(request, "errors/500.html", status=500)

"""Error pages: JSON ``{"code", "detail"}`` under /api/, the portal's own pages elsewhere."""

from django.http import JsonResponse
from django.shortcuts import render


def _is_api(request):
    return request.path.startswith("/api/")


def page_not_found(request, exception=None):
    if _is_api(request):
        return JsonResponse({"code": "not_found", "detail": "Not found."}, status=404)
    return render(request, "errors/404.html", status=404)


def permission_denied(request, exception=None):
    if _is_api(request):
        return JsonResponse({"code": "permission_denied", "detail": "Forbidden."}, status=403)
    return render(request, "errors/403.html", status=403)

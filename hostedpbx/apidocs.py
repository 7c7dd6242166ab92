"""The API documentation page: Swagger UI with every asset served from this host
(drf-spectacular-sidecar) and no inline script, so it works under a Content-Security-Policy
without 'unsafe-inline' and loads nothing from another host.

Redoc is not offered: even with its bundle served locally it fetches its logo from its vendor's
CDN, with no setting to stop it. ``/api/redoc/`` sends old bookmarks to Swagger UI.
"""

from django.urls import reverse
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularSwaggerSplitView


class SwaggerView(SpectacularSwaggerSplitView):
    """Swagger UI; its start script is fetched from this same URL (``?script``)."""


class RedocView(RedirectView):
    permanent = False

    def get_redirect_url(self, *args, **kwargs):
        return reverse("swagger-ui")

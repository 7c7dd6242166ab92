"""URL layout. Each part contributes three url modules, included here:

- ``<app>.urls``          the customer menu, under ``/t/<tenant_slug>/``
- ``<app>.api.urls``      the customer API, under ``/api/v1/tenants/<tenant_slug>/``
- ``<app>.api.pbx_urls``  the PBX node API, under ``/api/pbx/v1/``

Every view under the first two inherits a tenant-resolving base (see hostedpbx.views and
hostedpbx.api.base); tests/test_isolation.py walks all patterns to prove it. ``/api/v1/me/``
holds the signed-in person's own things (their invitations), scoped to the account.
"""

from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView

from hostedpbx import apidocs, views
from tenancy import views as tenancy_views
from tenancy.api.views import ObtainTokenView

PARTS = ["tenancy", "licensing", "supervision", "recordings", "callrouting", "audit"]

tenant_web = [path("", include(f"{part}.urls")) for part in PARTS]
tenant_api = [path("", include(f"{part}.api.urls")) for part in PARTS]
pbx_api = [path("", include(f"{part}.api.pbx_urls")) for part in PARTS]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.HealthView.as_view(), name="health"),
    path("login/", tenancy_views.PortalLoginView.as_view(), name="login"),
    path("logout/", tenancy_views.PortalLogoutView.as_view(), name="logout"),
    path("account/2fa/", include("twofactor.urls")),
    path("logged-out/", tenancy_views.LoggedOutView.as_view(), name="logged-out"),
    path("account/", include("tenancy.account_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", apidocs.SwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", apidocs.RedocView.as_view(), name="redoc"),
    path("api/v1/auth/token/", ObtainTokenView.as_view(), name="api-token"),
    path("api/v1/me/", include("tenancy.api.me_urls")),
    path("api/v1/tenants/<slug:tenant_slug>/", include(tenant_api)),
    path("api/pbx/v1/", include(pbx_api)),
    path("t/<slug:tenant_slug>/", include(tenant_web)),
]

handler404 = "hostedpbx.errors.page_not_found"
handler403 = "hostedpbx.errors.permission_denied"
handler400 = "hostedpbx.errors.bad_request"
handler500 = "hostedpbx.errors.server_error"

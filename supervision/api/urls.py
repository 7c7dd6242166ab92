"""Customer API of this part, under /api/v1/tenants/<tenant_slug>/."""

from rest_framework.routers import SimpleRouter

from .views import MonitoringSessionViewSet, SupervisionGrantViewSet

router = SimpleRouter()
router.register("supervision-grants", SupervisionGrantViewSet, basename="supervision-grant")
router.register("monitoring-sessions", MonitoringSessionViewSet, basename="monitoring-session")
urlpatterns = router.urls

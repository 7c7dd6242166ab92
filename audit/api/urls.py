"""Customer API of the audit part, under /api/v1/tenants/<tenant_slug>/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import AuditEventViewSet, AuditVerifyView

router = SimpleRouter()
router.register("audit-events", AuditEventViewSet, basename="audit-event")
urlpatterns = [
    path("audit/verify/", AuditVerifyView.as_view(), name="audit-verify"),
    *router.urls,
]

"""Customer API of this part, under /api/v1/tenants/<tenant_slug>/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import RoutingSchemaView, RoutingViewSet

router = SimpleRouter()
router.register("routings", RoutingViewSet, basename="routing")

urlpatterns = [
    path("routings/schema/", RoutingSchemaView.as_view(), name="routing-schema"),
    *router.urls,
]

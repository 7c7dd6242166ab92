"""Customer API of this part, under /api/v1/tenants/<tenant_slug>/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import LicenseAssignmentViewSet, LicensePoolViewSet, PbxUserPolicyView

router = SimpleRouter()
router.register("license-pools", LicensePoolViewSet, basename="license-pool")
router.register("license-assignments", LicenseAssignmentViewSet, basename="license-assignment")
urlpatterns = [
    path("pbx-users/<str:extension>/policy/", PbxUserPolicyView.as_view(),
         name="pbx-user-policy"),
    *router.urls,
]

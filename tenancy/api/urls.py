"""Customer API of the tenancy part, under /api/v1/tenants/<tenant_slug>/."""

from rest_framework.routers import SimpleRouter

from .views import InvitationViewSet, MembershipViewSet, PbxUserViewSet

router = SimpleRouter()
router.register("pbx-users", PbxUserViewSet, basename="pbx-user")
router.register("invitations", InvitationViewSet, basename="invitation")
router.register("accounts", MembershipViewSet, basename="account")
urlpatterns = router.urls

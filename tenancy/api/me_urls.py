"""The signed-in person's own things under ``/api/v1/me/`` (no tenant in the URL: they are
the person's, across tenants)."""

from rest_framework.routers import SimpleRouter

from .views import OwnInvitationViewSet

router = SimpleRouter()
router.register("invitations", OwnInvitationViewSet, basename="own-invitation")

urlpatterns = router.urls

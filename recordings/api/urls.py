"""Customer API of this part, under /api/v1/tenants/<tenant_slug>/."""

from rest_framework.routers import SimpleRouter

router = SimpleRouter()
urlpatterns = router.urls

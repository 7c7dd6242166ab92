"""The product's URLs plus one API view that fails, to prove the 500 answer's shape."""

from django.urls import path
from rest_framework.views import APIView

from hostedpbx.urls import *  # noqa: F403
from hostedpbx.urls import urlpatterns as product_patterns


class Broken(APIView):
    authentication_classes: list = []
    permission_classes: list = []

    def get(self, request):
        raise RuntimeError("a bug")


urlpatterns = [path("api/v1/broken/", Broken.as_view()), *product_patterns]

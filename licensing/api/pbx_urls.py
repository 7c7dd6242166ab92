"""PBX node API of this part, under /api/pbx/v1/."""

from django.urls import path

from .views import PbxNodeUserPolicyView

urlpatterns = [
    path("users/<str:extension>/policy/", PbxNodeUserPolicyView.as_view(),
         name="pbx-node-user-policy"),
]

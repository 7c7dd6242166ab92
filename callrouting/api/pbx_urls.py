"""PBX node API of this part, under /api/pbx/v1/."""

from django.urls import path

from .pbx_views import PbxRoutingAudioView, PbxRoutingExportView, PbxRoutingSchemaView

urlpatterns = [
    path("routing/", PbxRoutingExportView.as_view(), name="pbx-routing"),
    path("routing/schema/", PbxRoutingSchemaView.as_view(), name="pbx-routing-schema"),
    path("routing/audio/<int:audio_id>/", PbxRoutingAudioView.as_view(), name="pbx-routing-audio"),
]

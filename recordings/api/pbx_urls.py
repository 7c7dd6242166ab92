"""PBX node API of the recordings part, under /api/pbx/v1/."""

from django.urls import path

from .pbx_views import CallConsentView, CallEndView, PbxIngestView, PushRecordingView

urlpatterns = [
    path("recordings/", PushRecordingView.as_view(), name="pbx-recording-push"),
    path("ingests/<uuid:ingest_id>/", PbxIngestView.as_view(), name="pbx-ingest"),
    path("calls/<str:call_id>/consent/", CallConsentView.as_view(), name="pbx-call-consent"),
    path("calls/<str:call_id>/end/", CallEndView.as_view(), name="pbx-call-end"),
]

"""Customer API of the recordings part, under /api/v1/tenants/<tenant_slug>/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import (
    CallObjectionView,
    IngestViewSet,
    RecordingAudioView,
    RecordingUploadView,
    RecordingViewSet,
)

router = SimpleRouter()
router.register("recordings", RecordingViewSet, basename="recording")
router.register("ingests", IngestViewSet, basename="ingest")

urlpatterns = [
    path("recordings/upload/", RecordingUploadView.as_view(), name="recording-upload"),
    path("recordings/<int:recording_id>/audio/", RecordingAudioView.as_view(),
         name="recording-audio"),
    path("calls/<str:call_id>/objection/", CallObjectionView.as_view(),
         name="call-objection"),
    *router.urls,
]

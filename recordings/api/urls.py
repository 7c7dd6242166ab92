"""Customer API of the recordings part, under /api/v1/tenants/<tenant_slug>/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from recordings.archive import api as archive_api

from .views import (
    IngestViewSet,
    RecordingAudioView,
    RecordingUploadView,
    RecordingViewSet,
)


class ArchiveRecordingViewSet(archive_api.RecordingDeleteMixin, RecordingViewSet):
    """The recordings viewset with DELETE (deletion with a reason, from the archive)."""


router = SimpleRouter()
router.register("recordings", ArchiveRecordingViewSet, basename="recording")
router.register("ingests", IngestViewSet, basename="ingest")
# The archive: exports, data-subject requests.
router.register("exports", archive_api.ExportViewSet, basename="export")
router.register("subject-requests", archive_api.SubjectRequestViewSet,
                basename="subject-request")

urlpatterns = [
    path("recordings/upload/", RecordingUploadView.as_view(), name="recording-upload"),
    path("recordings/<int:recording_id>/audio/", RecordingAudioView.as_view(),
         name="recording-audio"),
    path("calls/<str:call_id>/objection/", archive_api.CallObjectionView.as_view(),
         name="call-objection"),
    # The archive: legal hold (one recording or by filter), settings.
    path("recordings/legal-hold/", archive_api.BulkLegalHoldView.as_view(),
         name="recording-legal-hold-bulk"),
    path("recordings/<int:recording_id>/legal-hold/",
         archive_api.RecordingLegalHoldView.as_view(), name="recording-legal-hold"),
    path("archive-policy/", archive_api.ArchivePolicyView.as_view(), name="archive-policy"),
    *router.urls,
]

"""Customer-menu pages of the recordings part, under /t/<tenant_slug>/."""

from django.urls import path

from . import views
from .archive import views as archive

app_name = "recordings"
urlpatterns = [
    path("recordings/", views.RecordingListView.as_view(), name="list"),
    path("recordings/csv/", views.RecordingCsvView.as_view(), name="csv"),
    path("recordings/settings/", views.RecordingSettingsView.as_view(), name="settings"),
    path("recordings/<int:recording_id>/", views.RecordingDetailView.as_view(),
         name="detail"),
    path("recordings/<int:recording_id>/audio/", views.RecordingAudioView.as_view(),
         name="audio"),
    path("recordings/upload/", views.UploadView.as_view(), name="upload"),
    path("recordings/ingests/", views.IngestListView.as_view(), name="ingests"),
    path("recordings/ingests/status/", views.IngestStatusJsonView.as_view(),
         name="ingests-status"),
    path("recordings/ingests/<uuid:ingest_id>/retry/", views.IngestRetryView.as_view(),
         name="ingest-retry"),
    # The archive (recordings.archive): the objection flow, holds, deletion, exports,
    # settings and data-subject requests.
    path("recordings/calls/<str:call_id>/objection/", archive.CallObjectionView.as_view(),
         name="call-objection"),
    path("recordings/<int:recording_id>/legal-hold/", archive.LegalHoldView.as_view(),
         name="legal-hold"),
    path("recordings/legal-hold/", archive.BulkLegalHoldView.as_view(),
         name="legal-hold-bulk"),
    path("recordings/<int:recording_id>/delete/", archive.RecordingDeleteView.as_view(),
         name="recording-delete"),
    path("recordings/exports/", archive.ExportListView.as_view(), name="exports"),
    path("recordings/exports/<uuid:export_id>/", archive.ExportDetailView.as_view(),
         name="export-detail"),
    path("recordings/exports/<uuid:export_id>/status/", archive.ExportStatusView.as_view(),
         name="export-status"),
    path("recordings/exports/<uuid:export_id>/download/",
         archive.ExportDownloadView.as_view(), name="export-download"),
    path("recordings/archive-settings/", views.ArchiveSettingsView.as_view(),
         name="archive-settings"),
    path("recordings/subject-requests/", archive.SubjectRequestListView.as_view(),
         name="subject-requests"),
    path("recordings/subject-requests/<int:request_id>/",
         archive.SubjectRequestDetailView.as_view(), name="subject-request"),
]

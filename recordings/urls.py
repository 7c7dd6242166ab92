"""Customer-menu pages of the recordings part, under /t/<tenant_slug>/."""

from django.urls import path

from . import views

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
    path("recordings/calls/<str:call_id>/objection/", views.CallObjectionView.as_view(),
         name="call-objection"),
]

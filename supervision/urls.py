"""Customer-menu pages of this part, under /t/<tenant_slug>/."""

from django.urls import path

from . import views

app_name = "supervision"
urlpatterns = [
    path("supervision/", views.LiveView.as_view(), name="live"),
    path("supervision/live.json", views.LiveDataView.as_view(), name="live-data"),
    path("supervision/grants/", views.GrantsView.as_view(), name="grants"),
    path("supervision/grants/add/", views.GrantAddView.as_view(), name="grant-add"),
    path("supervision/grants/bulk/", views.BulkGrantView.as_view(), name="grant-bulk"),
    path("supervision/grants/<int:grant_id>/", views.GrantEditView.as_view(), name="grant-edit"),
    path(
        "supervision/grants/<int:grant_id>/revoke/",
        views.GrantRevokeView.as_view(),
        name="grant-revoke",
    ),
    path(
        "supervision/agents/<str:extension>/",
        views.PersonView.as_view(as_role="agent"),
        name="agent",
    ),
    path(
        "supervision/supervisors/<str:extension>/",
        views.PersonView.as_view(as_role="supervisor"),
        name="supervisor",
    ),
    path("supervision/sessions/", views.HistoryView.as_view(), name="history"),
    path("supervision/sessions/<int:session_id>/", views.SessionView.as_view(), name="session"),
    path("supervision/settings/", views.SettingsView.as_view(), name="settings"),
    path("supervision/mine/", views.MyMonitoringView.as_view(), name="my-monitoring"),
]

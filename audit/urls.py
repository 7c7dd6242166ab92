"""Customer-menu pages of the audit part, under /t/<tenant_slug>/."""

from django.urls import path

from twofactor.views import ResetView

from . import views

app_name = "audit"
urlpatterns = [
    path("audit/", views.AuditTrailView.as_view(), name="trail"),
    path("audit/events/<int:event_id>/", views.AuditEventDetailView.as_view(), name="event"),
    path("audit/settings/", views.ComplianceSettingsView.as_view(), name="compliance-settings"),
    path("accounts/<int:membership_id>/two-factor-reset/", ResetView.as_view(),
         name="two-factor-reset"),
]

"""Customer-menu pages of the audit part, under /t/<tenant_slug>/."""

from django.urls import path

from . import views

app_name = "audit"
urlpatterns = [
    path("audit/", views.AuditTrailView.as_view(), name="trail"),
]

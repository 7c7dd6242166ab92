"""Customer-menu pages of this part, under /t/<tenant_slug>/."""

from django.urls import path  # noqa: F401

app_name = "recordings"
urlpatterns: list = []

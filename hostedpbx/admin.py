"""Shared admin base classes."""

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records that are facts (audit events, calls, recordings): staff look, never edit."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

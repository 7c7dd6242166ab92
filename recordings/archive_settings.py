"""The archive's tenant options (``RecordingSettings``): who may change them, the form and the
service that changes them (audited as ``recordings.settings_changed`` with before/after)."""

from __future__ import annotations

import phonenumbers
from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

import audit
from tenancy import permissions

from .models import RecordingSettings

FIELDS = ("supervisors_see_all", "access_reason_required", "phone_region")


may_change_recording_settings = permissions.may_change_recording_settings


def _check_region(value: str) -> str:
    value = (value or "").strip().upper()
    if value not in phonenumbers.SUPPORTED_REGIONS:
        raise ValidationError(
            _("Not a country code phone numbers know (e.g. DE)."), code="invalid_region"
        )
    return value


class RecordingSettingsForm(forms.ModelForm):
    class Meta:
        model = RecordingSettings
        fields = FIELDS

    def clean_phone_region(self):
        return _check_region(self.cleaned_data.get("phone_region"))


def update_recording_settings(*, actor, tenant, changes: dict) -> RecordingSettings:
    """Apply ``changes`` (a subset of ``FIELDS``) to the tenant's settings, creating them on
    first use; audited with before/after of the changed fields. No change, no event."""
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise ValueError(f"unknown settings: {sorted(unknown)}")
    if "phone_region" in changes:
        changes = {**changes, "phone_region": _check_region(changes["phone_region"])}
    with transaction.atomic():
        current, _created = RecordingSettings.unscoped.select_for_update().get_or_create(
            tenant=tenant
        )
        before = {name: getattr(current, name) for name in changes}
        after = dict(changes)
        if before == after:
            return current
        for name, value in changes.items():
            setattr(current, name, value)
        current.save()
        audit.record(
            actor=actor,
            tenant=tenant,
            action="recordings.settings_changed",
            obj=current,
            data={"before": before, "after": after},
        )
    return current

from django import forms

from .models import ComplianceSettings


class ComplianceSettingsForm(forms.ModelForm):
    class Meta:
        model = ComplianceSettings
        fields = ["regulated", "audit_retention_days", "require_2fa_for_all"]

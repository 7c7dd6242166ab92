from django import forms
from django.utils.translation import gettext_lazy as _

from recordings.models import ArchivePolicy, SubjectRequest

from .policy import POLICY_FIELDS


class ArchivePolicyForm(forms.ModelForm):
    class Meta:
        model = ArchivePolicy
        fields = POLICY_FIELDS
        widgets = {
            name: forms.NumberInput(attrs={"min": 0})
            for name in POLICY_FIELDS
            if name != "agents_may_object"
        }


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )


class LegalHoldForm(forms.Form):
    case_reference = forms.CharField(label=_("Case reference"), max_length=200)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class SubjectRequestForm(forms.ModelForm):
    class Meta:
        model = SubjectRequest
        fields = ("number", "kind", "reason")
        help_texts = {"number": _("In any notation, e.g. 030 1234567 or +49 30 1234567.")}

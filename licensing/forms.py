from django import forms
from django.utils.translation import gettext_lazy as _

from .advisor import CAPABILITIES, CAPABILITY_LABELS
from .choices import License
from .csv_format import MAX_BYTES


class AssignForm(forms.Form):
    extension = forms.CharField(label=_("Extension"), max_length=15)
    license = forms.ChoiceField(label=_("Licence"), choices=License.choices)
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)


class RevokeForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)


class CsvImportForm(forms.Form):
    file = forms.FileField(label=_("CSV file"),
                           help_text=_("Columns: extension, license, optionally action "
                                       "(assign or revoke) and reason. At most 1 MB."))
    dry_run = forms.BooleanField(label=_("Only check, change nothing"), required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 1 MB."), code="file_too_large")
        return upload


class AdvisorForm(forms.Form):
    capabilities = forms.MultipleChoiceField(
        label=_("What should the user be able to do?"),
        choices=[(cap, CAPABILITY_LABELS[cap]) for cap in CAPABILITIES],
        widget=forms.CheckboxSelectMultiple, required=False,
    )
    extension = forms.ChoiceField(label=_("For this user (optional)"), required=False)

    def __init__(self, *args, users=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["extension"].choices = [("", "—")] + [
            (u.extension, f"{u.extension} {u.display_name}") for u in users
        ]

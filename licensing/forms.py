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
    """A CSV file, checked first by default. After a check run the page carries the file's
    content in ``content`` (with its name), so applying it needs no second upload."""

    file = forms.FileField(
        label=_("CSV file"), required=False,
        help_text=_("One row per change: extension, licence, optionally action and reason "
                    "(see the file format below). At most 1 MB."),
    )
    dry_run = forms.BooleanField(label=_("Only check, change nothing"), required=False,
                                 initial=True)
    content = forms.CharField(required=False, widget=forms.HiddenInput, strip=False,
                              max_length=MAX_BYTES)
    filename = forms.CharField(required=False, widget=forms.HiddenInput, max_length=255)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload and upload.size > MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 1 MB."), code="file_too_large")
        return upload

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("file") and not cleaned.get("content") and not self.errors:
            self.add_error("file", forms.ValidationError(_("Choose a CSV file."),
                                                         code="required"))
        return cleaned

    def data_and_name(self) -> tuple[bytes, str]:
        """The chosen file's bytes and name (a new upload wins over the carried content)."""
        upload = self.cleaned_data.get("file")
        if upload:
            return upload.read(), upload.name or ""
        return self.cleaned_data["content"].encode("utf-8"), self.cleaned_data["filename"]


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

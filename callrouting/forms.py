from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import DTMF_KEYS, CallerBehaviour, Language, Mode

KEY_CHOICES = [("", _("none")), *[(k, k) for k in DTMF_KEYS]]


class RoutingForm(forms.Form):
    """The draft's fields as the menu edits them; the service validates the whole."""

    name = forms.CharField(label=_("Name"), max_length=100)
    mode = forms.ChoiceField(label=_("Mode"), choices=Mode.choices)
    covers_all = forms.BooleanField(label=_("All numbers of the tenant"), required=False)
    numbers = forms.CharField(
        label=_("Numbers and extensions"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line or separated by commas, e.g. +49 30 1234560 or 201."),
    )
    objection_key = forms.ChoiceField(label=_("Objection key"), choices=KEY_CHOICES, required=False)
    consent_key = forms.ChoiceField(label=_("Consent key"), choices=KEY_CHOICES, required=False)
    timeout_seconds = forms.IntegerField(label=_("Timeout (seconds)"))
    repeats = forms.IntegerField(
        label=_("Repeats"),
        help_text=_("How often the announcement is repeated when no valid key was pressed."),
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages"),
        choices=Language.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    text_de = forms.CharField(
        label=_("Announcement (German)"), required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    text_en = forms.CharField(
        label=_("Announcement (English)"), required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    objection_route_to = forms.CharField(
        label=_("After an objection, route to"),
        required=False,
        max_length=64,
        help_text=_(
            "Optional: another number or extension. Recording and listen-in are "
            "always off after an objection."
        ),
    )

    def values(self) -> dict:
        data = dict(self.cleaned_data)
        return data

    def add_service_errors(self, exc):
        for field, errors in exc.error_dict.items():
            target = field if field in self.fields else None
            for error in errors:
                self.add_error(target, error)


class SimulateForm(forms.Form):
    behaviour = forms.ChoiceField(label=_("The caller"), choices=CallerBehaviour.choices)
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)
    after_seconds = forms.FloatField(
        label=_("after (seconds)"), required=False, min_value=0, max_value=600
    )


class AudioUploadForm(forms.Form):
    language = forms.ChoiceField(choices=Language.choices)
    audio = forms.FileField(label=_("Audio file"), required=False)

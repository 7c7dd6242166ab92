from django import forms
from django.utils.translation import gettext_lazy as _

WINDOW_HELP = _("Optional. Outside this window the supervisor cannot listen in.")


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def _users(users):
    return [("", "—")] + [(u.extension, f"{u.extension} {u.display_name}") for u in users]


class WindowForm(forms.Form):
    valid_from = forms.DateTimeField(
        label=_("Valid from"),
        required=False,
        widget=DateTimeInput(),
        help_text=WINDOW_HELP,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    valid_until = forms.DateTimeField(
        label=_("Valid until"),
        required=False,
        widget=DateTimeInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    purpose = forms.CharField(
        label=_("Purpose"),
        max_length=500,
        required=False,
        help_text=_("For example: coaching of new agents."),
    )

    def clean(self):
        data = super().clean()
        if (
            data.get("valid_from")
            and data.get("valid_until")
            and data["valid_until"] < data["valid_from"]
        ):
            self.add_error(
                "valid_until",
                forms.ValidationError(
                    _("“Valid until” must not be before “valid from”."), code="invalid_window"
                ),
            )
        return data


class GrantForm(WindowForm):
    agent = forms.ChoiceField(label=_("Agent"))
    supervisor = forms.ChoiceField(label=_("Supervisor"))
    field_order = ["agent", "supervisor", "valid_from", "valid_until", "purpose"]

    def __init__(self, *args, users=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agent"].choices = _users(users)
        self.fields["supervisor"].choices = _users(users)


class BulkGrantForm(WindowForm):
    supervisor = forms.ChoiceField(label=_("Supervisor"))
    agents = forms.MultipleChoiceField(label=_("Agents"), widget=forms.CheckboxSelectMultiple)
    field_order = ["supervisor", "agents", "valid_from", "valid_until", "purpose"]

    def __init__(self, *args, users=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["supervisor"].choices = _users(users)
        self.fields["agents"].choices = _users(users)[1:]


class RevokeForm(forms.Form):
    reason = forms.CharField(label=_("Reason (optional)"), max_length=500, required=False)


class SettingsForm(forms.Form):
    agent_tone = forms.BooleanField(
        label=_("Play a short tone to the agent when supervisors start talking to them"),
        required=False,
        help_text=_(
            "A sudden voice can startle the agent (modes 2 and 3); the tone warns them first."
        ),
    )
    agents_see_summary = forms.BooleanField(
        label=_("Agents see a summary of past monitoring of their own calls"), required=False
    )
    max_supervisors = forms.IntegerField(
        label=_("Supervisors per call at most"), min_value=1, max_value=10
    )

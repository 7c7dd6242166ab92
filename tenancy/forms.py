from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from .models import PbxUser


class PortalAuthenticationForm(AuthenticationForm):
    """Django's login form, signing in through ``tenancy.auth.sign_in`` (throttled, audited)."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("The username or the password is wrong. Note that both are "
                           "case-sensitive."),
        "throttled": _("Too many failed logins. Please wait a few minutes and try again."),
    }

    channel = "web"

    def clean(self):
        from . import auth

        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is not None and password:
            try:
                self.user_cache = auth.sign_in(
                    request=self.request, username=username, password=password,
                    ip=auth.client_ip(self.request), channel=self.channel,
                    next_url=self.request.POST.get("next", "") if self.request else "")
            except auth.LoginThrottled:
                raise forms.ValidationError(self.error_messages["throttled"], code="throttled")
            if self.user_cache is None:
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


class PortalAdminAuthenticationForm(PortalAuthenticationForm, AdminAuthenticationForm):
    """The Django admin's login, throttled and audited like the portal's (staff only)."""

    channel = "admin"
    error_messages = {
        **PortalAuthenticationForm.error_messages,
        "invalid_login": PortalAuthenticationForm.error_messages["invalid_login"],
    }


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(label=_("Current password"), strip=False,
                                   widget=forms.PasswordInput(
                                       attrs={"autocomplete": "current-password"}))
    new_password1 = forms.CharField(label=_("New password"), strip=False,
                                    widget=forms.PasswordInput(
                                        attrs={"autocomplete": "new-password"}),
                                    help_text=password_validation.password_validators_help_text_html())
    new_password2 = forms.CharField(label=_("New password (again)"), strip=False,
                                    widget=forms.PasswordInput(
                                        attrs={"autocomplete": "new-password"}))

    def clean(self):
        data = super().clean()
        if data.get("new_password1") and data.get("new_password1") != data.get(
                "new_password2"):
            self.add_error("new_password2", forms.ValidationError(
                _("The two new passwords differ."), code="password_mismatch"))
        return data


class PbxUserForm(forms.ModelForm):
    class Meta:
        model = PbxUser
        fields = ["extension", "display_name", "email", "client_type", "record_all_calls",
                  "attention_tone", "is_active"]
        widgets = {"extension": forms.TextInput(attrs={"inputmode": "numeric",
                                                       "autocomplete": "off"})}

    def __init__(self, *args, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["extension"].disabled = True

    def validate_unique(self):
        # The service checks uniqueness within the tenant (code ``extension_taken``).
        pass


def _role_and_extension_fields(form, tenant):
    from .choices import Role

    # Least privilege first: a new account is an agent unless the admin chooses more.
    form.fields["role"].choices = [(r, Role(r).label) for r in (
        Role.MEMBER, Role.SUPERVISOR, Role.COMPLIANCE, Role.ADMIN)]
    form.fields["role"].initial = Role.MEMBER
    form.fields["pbx_user"].queryset = PbxUser.unscoped.filter(
        tenant=tenant, is_active=True).order_by("extension")


class MembershipForm(forms.Form):
    """Add a new account to the tenant, named in the tenant's namespace (``<slug>.<name>``:
    the field takes the part after the dot and shows the prefix), or change a membership's
    role and extension."""

    username = forms.RegexField(label=_("Username"), max_length=150, regex=r"^[\w.@+-]+$")
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    role = forms.ChoiceField(label=_("Role"), choices=[])
    pbx_user = forms.ModelChoiceField(label=_("Extension"), queryset=PbxUser.unscoped.none(),
                                      required=False,
                                      help_text=_("Agents see the recordings of this extension."))

    def __init__(self, *args, tenant, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        _role_and_extension_fields(self, tenant)
        if editing:
            for name in ("username", "first_name", "last_name", "email"):
                self.fields[name].disabled = True
                self.fields[name].required = False
            return
        prefix = f"{tenant.slug}."
        self.fields["username"].label = _("Username (after %(prefix)s)") % {"prefix": prefix}
        self.fields["username"].help_text = _(
            "New accounts are named in this tenant's namespace: %(prefix)sname.") % {
            "prefix": prefix}
        self.fields["username"].widget.attrs.update({"autocomplete": "off",
                                                     "data-prefix": prefix})
        # The list's name column is never empty.
        self.fields["first_name"].required = True
        self.fields["last_name"].required = True


class InvitationForm(forms.Form):
    """Invite an existing account (of any tenant) by its full username."""

    username = forms.CharField(label=_("Username"), max_length=150,
                               widget=forms.TextInput(attrs={"autocomplete": "off"}),
                               help_text=_("The person's full username, as they sign in."))
    role = forms.ChoiceField(label=_("Role"), choices=[])
    pbx_user = forms.ModelChoiceField(label=_("Extension"), queryset=PbxUser.unscoped.none(),
                                      required=False,
                                      help_text=_("Agents see the recordings of this extension."))

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        _role_and_extension_fields(self, tenant)


class ApiTokenForm(forms.Form):
    EXPIRY_CHOICES = [("30", _("30 days")), ("90", _("90 days")), ("365", _("one year")),
                      ("never", _("never"))]

    name = forms.CharField(label=_("Name"), max_length=100,
                           help_text=_("What the token is for, e.g. the script using it."))
    expires_in = forms.ChoiceField(label=_("Expires after"), choices=EXPIRY_CHOICES,
                                   initial="90")

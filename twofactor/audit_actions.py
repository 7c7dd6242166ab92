"""Audit actions of two-factor login, with their labels (see ``audit.actions``)."""

from django.utils.translation import gettext_lazy as _

ACTIONS = {
    "twofactor.enrolled": (_("Two-factor login set up"), "sign-in"),
    "twofactor.verified": (_("Second factor confirmed at sign-in"), "sign-in"),
    "twofactor.failed": (_("Wrong second-factor code"), "sign-in"),
    "twofactor.recovery_code_used": (_("Recovery code used to sign in"), "sign-in"),
    "twofactor.recovery_codes_renewed": (_("Recovery codes renewed"), "sign-in"),
    "twofactor.reset": (_("Two-factor login reset by an admin"), "accounts"),
}

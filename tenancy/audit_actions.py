"""Audit actions of the tenancy part, with their labels (see ``audit.actions``)."""

from django.utils.translation import gettext_lazy as _

ACTIONS = {
    "auth.login": (_("Signed in"), "sign-in"),
    "auth.login_failed": (_("Sign-in failed"), "sign-in"),
    "auth.login_throttled": (_("Sign-in blocked after repeated failures"), "sign-in"),
    "auth.logout": (_("Signed out"), "sign-in"),
    "tenant.created": (_("Tenant created"), "accounts"),
    "tenant.updated": (_("Tenant changed"), "accounts"),
    "pbx_node.created": (_("PBX node created"), "accounts"),
    "pbx_node.token_rotated": (_("PBX node token renewed"), "accounts"),
    "pbx_user.created": (_("Extension created"), "accounts"),
    "pbx_user.updated": (_("Extension changed"), "accounts"),
    "membership.saved": (_("Portal account saved"), "accounts"),
    "membership.removed": (_("Portal account removed"), "accounts"),
}

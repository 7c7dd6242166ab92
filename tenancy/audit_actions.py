"""Labels of the tenancy part's audit actions (collected by the audit part's registry)."""

from django.utils.translation import gettext_lazy as _

ACTIONS = {
    "auth.login": (_("Signed in"), "sign-in"),
    "auth.login_failed": (_("Sign-in failed"), "sign-in"),
    "auth.login_throttled": (_("Sign-in delayed after failures"), "sign-in"),
    "auth.logout": (_("Signed out"), "sign-in"),
    "account.password_changed": (_("Password changed"), "accounts"),
    "account.password_reset": (_("Password reset by an administrator"), "accounts"),
    "api_token.created": (_("API token created"), "accounts"),
    "api_token.revoked": (_("API token revoked"), "accounts"),
    "invitation.created": (_("Account invited"), "accounts"),
    "invitation.accepted": (_("Invitation accepted"), "accounts"),
    "invitation.declined": (_("Invitation declined"), "accounts"),
    "invitation.revoked": (_("Invitation revoked"), "accounts"),
    "membership.saved": (_("Portal account saved"), "accounts"),
    "membership.removed": (_("Portal account removed"), "accounts"),
    "membership.created": (_("Account access created (admin)"), "accounts"),
    "membership.updated": (_("Account access changed (admin)"), "accounts"),
    "membership.deleted": (_("Account access deleted (admin)"), "accounts"),
    "pbx_user.created": (_("PBX user created"), "settings"),
    "pbx_user.updated": (_("PBX user changed"), "settings"),
    "pbx_node.created": (_("PBX node created"), "settings"),
    "pbx_node.updated": (_("PBX node changed"), "settings"),
    "pbx_node.deleted": (_("PBX node deleted"), "settings"),
    "pbx_node.token_rotated": (_("PBX node token rotated"), "settings"),
    "tenant.created": (_("Tenant created"), "settings"),
    "tenant.updated": (_("Tenant changed"), "settings"),
    "tenant.deleted": (_("Tenant deleted"), "settings"),
}

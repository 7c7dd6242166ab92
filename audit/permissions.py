"""Capabilities of the audit part, in terms of the named capabilities of tenancy.permissions."""

from tenancy import permissions

REVIEWER_ROLES = permissions.REVIEW_AUDIT


def may_review_audit(membership) -> bool:
    """Read the whole trail, verify it, export it (admins and compliance officers)."""
    return permissions.may_review_audit(membership)


def may_change_compliance_settings(membership) -> bool:
    """Change audit retention, the regulated flag and the two-factor requirement."""
    return permissions.may_change_compliance_settings(membership)


def may_reset_two_factor(membership) -> bool:
    """Reset another account's two-factor devices (tenant admins)."""
    return permissions.may_reset_two_factor(membership)

"""Capabilities of the audit part, in terms of the named capabilities of tenancy.permissions."""

from tenancy import permissions
from tenancy.choices import Role

REVIEWER_ROLES = permissions.REVIEW_AUDIT


def may_review_audit(membership) -> bool:
    """Read the whole trail, verify it, export it (admins and compliance officers)."""
    return permissions.may(permissions.REVIEW_AUDIT, membership)


def may_change_compliance_settings(membership) -> bool:
    """Change audit retention, the regulated flag and the two-factor requirement."""
    return permissions.may(permissions.REVIEW_AUDIT, membership)


def may_reset_two_factor(membership) -> bool:
    """Reset another account's two-factor devices (tenant admins)."""
    return permissions.may(frozenset({Role.ADMIN}), membership)

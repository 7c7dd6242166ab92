"""Capabilities of the audit part, named once (the lead may move them to tenancy.permissions)."""

REVIEWER_ROLES = frozenset({"admin", "compliance"})


def may_review_audit(membership) -> bool:
    """Read the whole trail, verify it, export it (admins and compliance officers)."""
    return membership is not None and membership.role in REVIEWER_ROLES


def may_change_compliance_settings(membership) -> bool:
    """Change audit retention, the regulated flag and the two-factor requirement."""
    return membership is not None and membership.role in REVIEWER_ROLES


def may_reset_two_factor(membership) -> bool:
    """Reset another account's two-factor devices (tenant admins)."""
    return membership is not None and membership.role == "admin"

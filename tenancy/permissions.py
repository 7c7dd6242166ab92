"""Who may do what: each capability named once, as the set of roles that hold it.

Views, API views and menu entries name a capability (``allowed_roles =
permissions.MANAGE_ACCOUNTS``; ``may(permissions.REVIEW_AUDIT, membership)``), never a set of
role strings of their own, so that a change of who may do something is one line here.
"""

from .choices import ALL_ROLES, Role

# Everyone with a membership: the dashboard, lists of their own data, the licence overview.
USE_MENU = ALL_ROLES
# Create and change PBX users, portal accounts and their roles; the tenant's API writes.
MANAGE_PBX_USERS = frozenset({Role.ADMIN})
MANAGE_ACCOUNTS = frozenset({Role.ADMIN})
TENANT_API_WRITE = frozenset({Role.ADMIN})
# Licences: assign, revoke, import (admins); see the pools and the matrix (staff).
MANAGE_LICENCES = frozenset({Role.ADMIN})
VIEW_LICENCE_DETAILS = frozenset({Role.ADMIN, Role.COMPLIANCE, Role.SUPERVISOR})
# The audit trail: read, export, verify.
REVIEW_AUDIT = frozenset({Role.ADMIN, Role.COMPLIANCE})
# Sees only their own extension's data (recordings, licences).
OWN_EXTENSION_ONLY = frozenset({Role.MEMBER})


def may(capability: frozenset, membership) -> bool:
    """Whether ``membership`` (or ``None``) holds ``capability``."""
    return membership is not None and membership.role in capability


def may_manage_accounts(membership) -> bool:
    return may(MANAGE_ACCOUNTS, membership)


def may_manage_pbx_users(membership) -> bool:
    return may(MANAGE_PBX_USERS, membership)


def may_manage_licences(membership) -> bool:
    return may(MANAGE_LICENCES, membership)


def may_review_audit(membership) -> bool:
    return may(REVIEW_AUDIT, membership)


def sees_own_extension_only(membership) -> bool:
    return may(OWN_EXTENSION_ONLY, membership)

"""Who may do what: each capability named once, as the set of roles that hold it.

Views, API views, menu entries, dashboards, querysets and templates name a capability
(``allowed_roles = permissions.MANAGE_ACCOUNTS``; ``permissions.may_review_audit(membership)``;
``{% if membership|may:"KEEP_RECORDINGS" %}``), never a set of role strings of their own, so
that a change of who may do something is one line here. No other module spells out a role set
(tests/tenancy/test_permissions.py checks it).
"""

from .choices import ALL_ROLES, Role

# --- Tenancy ---------------------------------------------------------------------------------
# Everyone with a membership: the dashboard, lists of their own data, the licence overview.
USE_MENU = ALL_ROLES
# Administer the tenant; a tenant always keeps at least one account holding this.
ADMINISTER_TENANT = frozenset({Role.ADMIN})
# Create and change PBX users, portal accounts and their roles; the tenant's API writes.
MANAGE_PBX_USERS = frozenset({Role.ADMIN})
MANAGE_ACCOUNTS = frozenset({Role.ADMIN})
TENANT_API_WRITE = frozenset({Role.ADMIN})
# Sees only their own extension's data (recordings, calls, licences); such an account needs an
# extension.
OWN_EXTENSION_ONLY = frozenset({Role.MEMBER})

# --- Licensing -------------------------------------------------------------------------------
# Licences: assign, revoke, import (admins); see the pools and the matrix (staff).
MANAGE_LICENCES = frozenset({Role.ADMIN})
VIEW_LICENCE_DETAILS = frozenset({Role.ADMIN, Role.COMPLIANCE, Role.SUPERVISOR})
# The tenant's licence stock on the dashboard (agents and supervisors see their recent calls).
SEE_LICENCE_STOCK = frozenset({Role.ADMIN, Role.COMPLIANCE})

# --- Audit and two-factor --------------------------------------------------------------------
# The audit trail: read, export, verify; the compliance settings.
REVIEW_AUDIT = frozenset({Role.ADMIN, Role.COMPLIANCE})
# Reset another account's two-factor devices.
RESET_TWO_FACTOR = frozenset({Role.ADMIN})
# Must always sign in with a second factor, whatever the tenant's setting.
TWO_FACTOR_ALWAYS = frozenset({Role.ADMIN, Role.COMPLIANCE})

# --- Recordings and their archive -------------------------------------------------------------
# See every recording, call, ingest, export and data-subject request of the tenant; delete
# recordings, set legal holds, handle data-subject requests, mark objections on any call, see
# the archive settings.
KEEP_RECORDINGS = frozenset({Role.ADMIN, Role.COMPLIANCE})
# The ingest status page of the whole tenant; retrying a failed ingest.
MANAGE_INGESTS = frozenset({Role.ADMIN, Role.COMPLIANCE})
RETRY_INGESTS = frozenset({Role.ADMIN})
# Upload a recording for another extension than one's own.
UPLOAD_FOR_ANY_EXTENSION = frozenset({Role.ADMIN})
# Change the recording settings and the archive settings.
MANAGE_RECORDING_SETTINGS = frozenset({Role.ADMIN})
MANAGE_ARCHIVE_SETTINGS = frozenset({Role.ADMIN})

# --- Supervision -----------------------------------------------------------------------------
# Grant and revoke who may listen to whom; the supervision settings.
MANAGE_GRANTS = frozenset({Role.ADMIN})
# The supervision pages: live calls, grants, session history.
WATCH_SESSIONS = frozenset({Role.ADMIN, Role.COMPLIANCE, Role.SUPERVISOR})
# Every grant and every session of the tenant.
SEE_ALL_SUPERVISION = frozenset({Role.ADMIN, Role.COMPLIANCE})
# Supervises agents by grant: sees the grants naming them, the sessions they took part in and
# the recordings of the extensions they supervise.
SUPERVISE_AGENTS = frozenset({Role.SUPERVISOR})
# An agent's page about the monitoring of their own calls (when the tenant allows it).
SEE_OWN_MONITORING = frozenset({Role.MEMBER})

# --- Legal-notice routing --------------------------------------------------------------------
# Edit drafts, make audio, simulate, publish and roll back.
MANAGE_ROUTINGS = frozenset({Role.ADMIN})
# See routings, versions, diffs and the proof report.
VIEW_ROUTINGS = frozenset({Role.ADMIN, Role.COMPLIANCE})

CAPABILITIES = {name: value for name, value in globals().items()
                if name.isupper() and isinstance(value, frozenset)}


def holds(capability: frozenset, role: str) -> bool:
    """Whether the role ``role`` (a string, e.g. a form's choice) holds ``capability``."""
    return role in capability


def may(capability: frozenset, membership) -> bool:
    """Whether ``membership`` (or ``None``) holds ``capability``."""
    return membership is not None and holds(capability, membership.role)


def by_name(name: str) -> frozenset:
    """The capability called ``name`` (for templates); unknown names are an error."""
    try:
        return CAPABILITIES[name]
    except KeyError:
        raise ValueError(f"No capability is called {name!r}.") from None


# --- Tenancy ---------------------------------------------------------------------------------

def administers_tenant(membership) -> bool:
    return may(ADMINISTER_TENANT, membership)


def may_manage_accounts(membership) -> bool:
    return may(MANAGE_ACCOUNTS, membership)


def may_manage_pbx_users(membership) -> bool:
    return may(MANAGE_PBX_USERS, membership)


def sees_own_extension_only(membership) -> bool:
    return may(OWN_EXTENSION_ONLY, membership)


def role_needs_extension(role: str) -> bool:
    """An account that sees only its own extension's data needs one."""
    return holds(OWN_EXTENSION_ONLY, role)


# --- Licensing -------------------------------------------------------------------------------

def may_manage_licences(membership) -> bool:
    return may(MANAGE_LICENCES, membership)


def may_see_licence_stock(membership) -> bool:
    return may(SEE_LICENCE_STOCK, membership)


# --- Audit and two-factor --------------------------------------------------------------------

def may_review_audit(membership) -> bool:
    return may(REVIEW_AUDIT, membership)


def may_change_compliance_settings(membership) -> bool:
    return may(REVIEW_AUDIT, membership)


def may_reset_two_factor(membership) -> bool:
    return may(RESET_TWO_FACTOR, membership)


def role_always_needs_two_factor(role: str) -> bool:
    return holds(TWO_FACTOR_ALWAYS, role)


# --- Recordings and their archive -------------------------------------------------------------

def sees_whole_tenant(membership) -> bool:
    """Sees every recording, call, export and data-subject request of the tenant."""
    return may(KEEP_RECORDINGS, membership)


def may_keep_recordings(membership) -> bool:
    return may(KEEP_RECORDINGS, membership)


def may_delete_recordings(membership) -> bool:
    return may(KEEP_RECORDINGS, membership)


def may_set_legal_hold(membership) -> bool:
    return may(KEEP_RECORDINGS, membership)


def may_handle_subject_requests(membership) -> bool:
    return may(KEEP_RECORDINGS, membership)


def may_object_any_call(membership) -> bool:
    """Mark a caller's objection on any call of the tenant (others: on their own calls only,
    when the tenant allows it)."""
    return may(KEEP_RECORDINGS, membership)


def may_manage_ingests(membership) -> bool:
    return may(MANAGE_INGESTS, membership)


def may_retry_ingests(membership) -> bool:
    return may(RETRY_INGESTS, membership)


def may_upload_for_any_extension(membership) -> bool:
    return may(UPLOAD_FOR_ANY_EXTENSION, membership)


def may_change_recording_settings(membership) -> bool:
    return may(MANAGE_RECORDING_SETTINGS, membership)


def may_change_archive_settings(membership) -> bool:
    return may(MANAGE_ARCHIVE_SETTINGS, membership)


# --- Supervision -----------------------------------------------------------------------------

def may_manage_grants(membership) -> bool:
    return may(MANAGE_GRANTS, membership)


def may_watch_sessions(membership) -> bool:
    return may(WATCH_SESSIONS, membership)


def may_see_all_sessions(membership) -> bool:
    return may(SEE_ALL_SUPERVISION, membership)


def supervises_agents(membership) -> bool:
    return may(SUPERVISE_AGENTS, membership)


def may_see_own_monitoring(membership) -> bool:
    return may(SEE_OWN_MONITORING, membership)


# --- Legal-notice routing --------------------------------------------------------------------

def may_manage_routing(membership) -> bool:
    return may(MANAGE_ROUTINGS, membership)


def may_view_routing(membership) -> bool:
    return may(VIEW_ROUTINGS, membership)

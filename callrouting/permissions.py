"""Who may do what with legal-notice routings: thin wrappers over the named capabilities of
tenancy/permissions.py (``MANAGE_ROUTINGS``, ``VIEW_ROUTINGS``)."""

from tenancy import permissions


def may_manage_routing(membership) -> bool:
    """Edit drafts, make audio, simulate, publish and roll back: the tenant's admins."""
    return permissions.may_manage_routing(membership)


def may_view_routing(membership) -> bool:
    """See routings, versions, diffs and the proof report: admins and compliance officers."""
    return permissions.may_view_routing(membership)


def may_see_proof(membership) -> bool:
    """See on a recording what its caller heard and pressed: whoever may see the recording."""
    return membership is not None


"""Who may do what with legal-notice routings (one function per capability)."""

from tenancy.choices import Role


def may_manage_routing(membership) -> bool:
    """Edit drafts, make audio, simulate, publish and roll back: the tenant's admins."""
    return membership is not None and membership.role == Role.ADMIN


def may_view_routing(membership) -> bool:
    """See routings, versions, diffs and the proof report: admins and compliance officers."""
    return membership is not None and membership.role in (Role.ADMIN, Role.COMPLIANCE)


def may_see_proof(membership) -> bool:
    """See on a recording what its caller heard and pressed: whoever may see the recording."""
    return membership is not None


def roles_where(capability) -> frozenset:
    """The roles for which ``capability`` holds (for the base classes' role sets)."""

    class _Probe:
        def __init__(self, role):
            self.role = role

    return frozenset(role for role in Role.values if capability(_Probe(role)))

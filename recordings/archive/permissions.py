"""Who may do what in the archive: thin wrappers over the named capabilities of
tenancy/permissions.py (``KEEP_RECORDINGS``, ``MANAGE_ARCHIVE_SETTINGS``). Tenant scoping is
separate: these only look at the role."""

from tenancy import permissions

KEEPERS = permissions.KEEP_RECORDINGS


def may_change_archive_settings(membership) -> bool:
    return permissions.may_change_archive_settings(membership)


def may_delete_recordings(membership) -> bool:
    return permissions.may_delete_recordings(membership)


def may_set_legal_hold(membership) -> bool:
    return permissions.may_set_legal_hold(membership)


def may_handle_subject_requests(membership) -> bool:
    return permissions.may_handle_subject_requests(membership)


def may_export(membership) -> bool:
    """Everyone may export what they may see (the selection is scoped by ``for_actor``)."""
    return True


def may_record_objection(membership, call, policy) -> bool:
    """Admins and compliance officers on any call; agents and supervisors on calls of their own
    extension, when the tenant allows it (``ArchivePolicy.agents_may_object``)."""
    if permissions.may_object_any_call(membership):
        return True
    if not policy.agents_may_object or not membership.pbx_user_id:
        return False
    extension = membership.pbx_user.extension
    if not call.extension or call.extension != extension:
        return False
    # Ownership: an objection discards every recording of the call, so all must be theirs.
    from recordings.models import Recording

    return not Recording.unscoped.filter(tenant_id=call.tenant_id, call=call).exclude(
        extension=extension).exists()

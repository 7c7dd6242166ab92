"""The caller's objection recorded after the call: a deliberate action with a required
reason, allowed by the tenant's setting (see :func:`permissions.may_record_objection`)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from recordings import services as recording_services
from recordings.selectors import access_call_for_objection

from .permissions import may_record_objection
from .policy import policy_for


def access_call_to_object(*, actor, membership, tenant, call_id: str):
    """The call (404 when the actor cannot see it, or when it carries another agent's
    recording: ownership, see ``access_call_for_objection``); ``PermissionDenied`` when they
    own it but the tenant's setting does not let them record an objection."""
    call = access_call_for_objection(actor=actor, membership=membership, tenant=tenant,
                                     call_id=call_id)
    if not may_record_objection(membership, call, policy_for(tenant)):
        raise PermissionDenied(_("You may not record an objection on this call."))
    return call


def record_objection(*, actor, membership, call, reason: str):
    """Returns ``(call, changed)``; the reason is stored in the call's consent note and the
    audit event ``call.consent_changed``."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {
                "reason": ValidationError(
                    _("Give a reason for the objection (for example how the caller objected)."),
                    code="reason_required",
                )
            }
        )
    return recording_services.object_to_call(
        actor=actor, membership=membership, call=call, note=reason[:500]
    )

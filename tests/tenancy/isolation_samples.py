from django.utils import timezone

from tenancy.models import Invitation, Membership
from tenancy.services import INVITATION_VALIDITY


def build(*, tenant, node, admin):
    invitation = Invitation.unscoped.create(
        tenant=tenant,
        username="iso-invitee",
        role="member",
        invited_by=admin,
        expires_at=timezone.now() + INVITATION_VALIDITY,
    )
    return {
        "membership_id": Membership.unscoped.get(tenant=tenant, user=admin).pk,
        "invitation_id": invitation.pk,
    }

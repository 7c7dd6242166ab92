"""Reads of the tenancy part. ``access_*`` helpers answer 404 for other tenants and for what
the actor may not see, so that a caller cannot probe for existence."""

from django.http import Http404
from django.utils import timezone

from .models import Invitation, PbxUser, Tenant


def access_pbx_user(*, actor, tenant: Tenant, extension: str) -> PbxUser:
    user = PbxUser.objects.for_actor(actor, tenant).filter(extension=str(extension)).first()
    if user is None:
        raise Http404("No such PBX user.")
    return user


def pbx_users_for_list(*, actor, tenant: Tenant, query: str = ""):
    qs = PbxUser.objects.for_actor(actor, tenant)
    if query:
        from django.db.models import Q

        qs = qs.filter(
            Q(extension__startswith=query) | Q(display_name__icontains=query)
            | Q(email__icontains=query)
        )
    return qs.order_by("extension")


def pending_invitations_for_account(account):
    """The invitations the signed-in ``account`` may answer now (active tenants only)."""
    if account is None or not getattr(account, "is_authenticated", False):
        return Invitation.unscoped.none()
    return (Invitation.unscoped.pending(timezone.now())
            .filter(account_id=account.pk, tenant__status="active")
            .select_related("tenant", "pbx_user", "invited_by").order_by("created_at"))


def access_own_invitation(*, account, invitation_id):
    """One of ``account``'s own invitations (any state); 404 for anyone else's, so that an
    invitation id reveals nothing to another account."""
    invitation = Invitation.unscoped.filter(pk=invitation_id, account_id=account.pk).select_related(
        "tenant", "pbx_user").first()
    if invitation is None:
        raise Http404("No such invitation.")
    return invitation


def invitations_for_tenant(*, actor, tenant: Tenant):
    """The tenant's invitations, newest first, as the admins see them (by what was typed)."""
    return (Invitation.objects.for_actor(actor, tenant)
            .select_related("pbx_user", "invited_by").order_by("-created_at"))


def access_invitation(*, actor, tenant: Tenant, invitation_id):
    """One of ``tenant``'s invitations; 404 for other tenants' and for non-members."""
    invitation = invitations_for_tenant(actor=actor, tenant=tenant).filter(
        pk=invitation_id).first()
    if invitation is None:
        raise Http404("No such invitation.")
    return invitation

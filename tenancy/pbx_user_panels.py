"""The tenancy part's panel on the PBX user page: the portal account that speaks for the
extension (admins only, who manage accounts)."""

from django.utils.translation import gettext_lazy as _

from hostedpbx.parts import Panel

from . import permissions
from .models import Membership


def panels(*, actor, tenant, membership, pbx_user) -> list[Panel]:
    if not permissions.may_manage_accounts(membership):
        return []
    linked = (
        Membership.objects.for_actor(actor, tenant)
        .filter(pbx_user=pbx_user)
        .select_related("user")
        .first()
    )
    return [
        Panel(
            _("Portal account"),
            "tenancy/_pbx_user_account_panel.html",
            {"linked": linked},
            order=10,
        )
    ]

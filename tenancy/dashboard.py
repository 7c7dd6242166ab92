from django.urls import reverse
from django.utils.translation import gettext as _

from hostedpbx.dashboard import Tile

from . import permissions
from .models import Membership, PbxUser


def tiles(*, actor, tenant, membership):
    slug = tenant.slug
    out = [Tile(_("PBX users"), str(PbxUser.objects.for_actor(actor, tenant).count()),
                reverse("tenancy:pbx-users", kwargs={"tenant_slug": slug}), order=10)]
    if membership.pbx_user_id:
        out.append(Tile(_("Your extension"), membership.pbx_user.extension,
                        note=membership.pbx_user.display_name, order=5))
    if permissions.may_manage_accounts(membership):
        out.append(Tile(_("Portal accounts"),
                        str(Membership.objects.for_actor(actor, tenant).count()),
                        reverse("tenancy:memberships", kwargs={"tenant_slug": slug}), order=80))
    return out

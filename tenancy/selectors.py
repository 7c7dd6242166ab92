"""Reads of the tenancy part. ``access_*`` helpers answer 404 for other tenants and for what
the actor may not see, so that a caller cannot probe for existence."""

from django.http import Http404

from .models import PbxUser, Tenant


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

"""The supervision panel on the PBX user's page (``collect_panels("pbx_user_panels", ...)``)."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hostedpbx.parts import Panel

from . import selectors
from .feature_code import feature_code_for


def panels(*, actor, tenant, membership, pbx_user) -> list[Panel]:
    if not selectors.may_watch_sessions(membership):
        return []
    as_agent = selectors.grants_for_actor(actor=actor, tenant=tenant, agent=pbx_user.extension)
    as_supervisor = selectors.grants_for_actor(
        actor=actor, tenant=tenant, supervisor=pbx_user.extension
    )
    return [
        Panel(
            title=_("Supervision"),
            template="supervision/_pbx_user_panel.html",
            context={
                "tenant": tenant,
                "pbx_user": pbx_user,
                "as_agent": list(as_agent),
                "as_supervisor": list(as_supervisor),
                "now": timezone.now(),
                "can_manage": selectors.may_manage_grants(membership),
                "feature_code": feature_code_for(pbx_user.extension),
            },
            order=40,
        )
    ]

from django.urls import reverse
from django.utils.translation import gettext as _

from hostedpbx.dashboard import Tile

from .choices import SessionStatus
from .selectors import may_watch_sessions, sessions_for_actor


def tiles(*, actor, tenant, membership):
    if not may_watch_sessions(membership):
        return []
    live = sessions_for_actor(actor=actor, tenant=tenant, status=SessionStatus.LIVE).count()
    return [
        Tile(
            _("Live listen-ins"),
            str(live),
            reverse("supervision:live", kwargs={"tenant_slug": tenant.slug}),
            note=_("supervisors on agents' calls now"),
            tone="warn" if live else "",
            order=30,
        )
    ]

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from hostedpbx.dashboard import Tile
from tenancy import permissions

from .models import AuditEvent


def tiles(*, actor, tenant, membership):
    if not permissions.may_review_audit(membership):
        return []
    since = timezone.now() - timedelta(hours=24)
    events = AuditEvent.objects.for_actor(actor, tenant)
    failed = events.filter(occurred_at__gte=since, action="auth.login_failed").count()
    url = reverse("audit:trail", kwargs={"tenant_slug": tenant.slug})
    return [
        Tile(_("Audit events (24 h)"), str(events.filter(occurred_at__gte=since).count()), url,
             order=90),
        Tile(_("Failed logins (24 h)"), str(failed), f"{url}?action=auth.login_failed",
             tone="warn" if failed else "ok", order=91),
    ]

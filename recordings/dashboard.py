"""Tiles of the recordings part on the overview page."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from hostedpbx.dashboard import Tile
from tenancy.choices import Role

from .choices import IngestStatus
from .models import Ingest, Recording


def tiles(*, actor, tenant, membership):
    slug = tenant.slug
    # A bounded range on (tenant, started_at): cheap however large the archive is.
    recent = Recording.objects.for_actor(actor, tenant).filter(
        started_at__gte=timezone.now() - timedelta(days=7)).count()
    out = [Tile(_("Recordings (7 days)"), number_format(recent),
                reverse("recordings:list", kwargs={"tenant_slug": slug}), order=40)]
    if membership.role in (Role.ADMIN, Role.COMPLIANCE):
        waiting = Ingest.objects.for_actor(actor, tenant).filter(
            status=IngestStatus.QUARANTINED).count()
        out.append(Tile(_("Recordings in quarantine"), number_format(waiting),
                        reverse("recordings:ingests", kwargs={"tenant_slug": slug})
                        + "?status=quarantined",
                        note=_("waiting for you") if waiting else "",
                        tone="warn" if waiting else "ok", order=41))
    return out

"""Demo data of the legal-notice routing: ``muster`` runs a published opt-out routing with two
versions and the proof of its demo calls; ``nordlicht`` has an opt-in draft.

Idempotent: routings are created only when missing, and proofs only for calls without one.
Everything goes through the services (so the audit trail looks like real use).
"""

from django.core.exceptions import ValidationError

from recordings.models import Call
from tenancy.models import Tenant

from . import services
from .models import ConsentProof, Routing


def seed(*, stdout, logins):
    muster = Tenant.objects.filter(slug="muster").first()
    if muster is not None and not Routing.unscoped.filter(tenant=muster).exists():
        routing = services.create_routing(
            actor=None, tenant=muster, values={"name": "Hotline", "mode": "opt_out"}
        )
        try:
            services.publish_routing(actor=None, routing=routing)
            services.update_routing(actor=None, routing=routing, values={"timeout_seconds": 6})
            services.publish_routing(actor=None, routing=routing)
        except ValidationError as exc:  # espeak-ng or sox missing: keep the draft
            stdout.write(f"  routing muster: not published ({'; '.join(exc.messages)})")
        else:
            stdout.write("  routing muster “Hotline” (opt_out), versions 1 and 2")
    if muster is not None:
        _proofs(muster, stdout)
    nordlicht = Tenant.objects.filter(slug="nordlicht").first()
    if nordlicht is not None and not Routing.unscoped.filter(tenant=nordlicht).exists():
        services.create_routing(
            actor=None, tenant=nordlicht, values={"name": "Zentrale", "mode": "opt_in"}
        )
        stdout.write("  routing nordlicht “Zentrale” (opt_in, draft)")


def _proofs(tenant, stdout):
    routing = Routing.unscoped.filter(tenant=tenant, published_version__isnull=False).first()
    if routing is None:
        return
    version = routing.published_version
    proven = ConsentProof.unscoped.filter(tenant=tenant).values("call_id")
    calls = Call.unscoped.filter(tenant=tenant).exclude(pk__in=proven).order_by("pk")[:50]
    made = 0
    for index, call in enumerate(calls):
        outcome = "objected" if call.consent == "objected" else "notified"
        services.record_consent_proof(
            actor=None,
            tenant=tenant,
            call=call,
            outcome=outcome,
            routing_version=version.pk,
            language="en" if index % 5 == 4 else "de",
            key=version.definition["keys"]["objection"] if outcome == "objected" else "",
            reported_at=call.started_at,
        )
        made += 1
    if made:
        stdout.write(f"  routing proofs for {made} demo calls of {tenant.slug}")

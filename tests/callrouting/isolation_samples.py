"""A published routing of ``tenant`` (with audio) for tests/test_isolation.py."""

from callrouting import services
from callrouting.models import RoutingVersion


def build(*, tenant, node, admin) -> dict:
    # The page walks build the samples on top of seed_demo, whose published routing covers
    # all numbers already: then that one is the sample (two may not overlap).
    existing = (RoutingVersion.unscoped.filter(tenant=tenant).select_related("routing")
                .order_by("-pk").first())
    if existing is not None:
        version, routing = existing, existing.routing
    else:
        routing = services.create_routing(
            actor=None, tenant=tenant, values={"name": "Isolation", "mode": "opt_out"}
        )
        version = services.publish_routing(actor=None, routing=routing)
    audio_id = version.definition["languages"][0]["audio"]["id"]
    return {"routing_id": routing.pk, "audio_id": audio_id, "language": "de"}

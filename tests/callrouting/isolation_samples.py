"""A published routing of ``tenant`` (with audio) for tests/test_isolation.py."""

from callrouting import services


def build(*, tenant, node, admin) -> dict:
    routing = services.create_routing(
        actor=None, tenant=tenant, values={"name": "Isolation", "mode": "opt_out"}
    )
    version = services.publish_routing(actor=None, routing=routing)
    audio_id = version.definition["languages"][0]["audio"]["id"]
    return {"routing_id": routing.pk, "audio_id": audio_id, "language": "de"}

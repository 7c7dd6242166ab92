"""The recording detail page shows what the caller heard and pressed (the consent proof)."""

from django.utils.translation import gettext_lazy as _

from hostedpbx.parts import Panel

from .permissions import may_see_proof
from .selectors import proofs_for_call


def panels(*, actor, tenant, membership, recording) -> list[Panel]:
    """One panel with the call's proof reports, oldest first; none without a proof."""
    if not may_see_proof(membership) or recording.call_id is None:
        return []
    proofs = list(proofs_for_call(tenant=tenant, call=recording.call_id))
    if not proofs:
        return []
    rows = []
    for proof in proofs:
        version = proof.routing_version
        text = ""
        if version is not None:
            entry = next(
                (e for e in version.definition["languages"] if e["code"] == proof.language), None
            )
            text = entry["text"] if entry else ""
        rows.append(
            {
                "proof": proof,
                "version": version,
                "routing_name": version.routing.name if version else "",
                "text": text,
            }
        )
    return [
        Panel(
            title=_("Legal notice: what the caller heard"),
            template="callrouting/_proof_panel.html",
            context={"rows": rows, "last": rows[-1]},
            order=30,
        )
    ]

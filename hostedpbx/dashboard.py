"""The overview page's tiles, collected from each part's ``dashboard.py``.

Each part may define ``def tiles(*, actor, tenant, membership) -> list[Tile]``; a part shows
only what the membership's role may see. A part whose tiles are for some roles only may say so
with ``ROLES = permissions.SOME_CAPABILITY`` (tenancy/permissions.py) in its module (e.g. the
tenant's licence stock is for admins and compliance officers; agents and supervisors see their
own calls instead).

A tile is a figure with a label, a link to the filtered list it counts, an optional note and a
tone (a coloured stripe, always explained in words by the page); a tile with ``template``
draws itself (a chart, a short list) from ``context``.
"""

from dataclasses import dataclass, field

from hostedpbx.parts import part_modules


@dataclass(frozen=True)
class Tile:
    label: str
    value: str
    url: str = ""
    note: str = ""
    tone: str = ""  # "", "ok", "warn" or "bad"
    order: int = 100
    template: str = ""  # drawn by this template (with ``tile`` in its context) when set
    context: dict = field(default_factory=dict, hash=False, compare=False)
    wide: bool = False


def tiles_for(*, actor, tenant, membership):
    collected = []
    for module in part_modules("dashboard"):
        roles = getattr(module, "ROLES", None)
        if roles is not None and membership.role not in roles:
            continue
        collected.extend(module.tiles(actor=actor, tenant=tenant, membership=membership))
    return sorted(collected, key=lambda tile: tile.order)

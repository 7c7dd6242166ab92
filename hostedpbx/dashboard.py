"""The overview page's tiles, collected from each part's ``dashboard.py``.

Each part may define ``def tiles(*, actor, tenant, membership) -> list[Tile]``; a part shows
only what the membership's role may see.
"""

from dataclasses import dataclass

from hostedpbx.parts import part_modules


@dataclass(frozen=True)
class Tile:
    label: str
    value: str
    url: str = ""
    note: str = ""
    tone: str = ""  # "", "ok", "warn" or "bad"
    order: int = 100


def tiles_for(*, actor, tenant, membership):
    collected = []
    for module in part_modules("dashboard"):
        collected.extend(module.tiles(actor=actor, tenant=tenant, membership=membership))
    return sorted(collected, key=lambda tile: tile.order)

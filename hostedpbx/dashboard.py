"""The overview page's tiles, collected from each part's ``dashboard.py``.

Each part may define ``def tiles(*, actor, tenant, membership) -> list[Tile]``; a part shows
only what the membership's role may see.
"""

from dataclasses import dataclass
from importlib import import_module

from django.apps import apps


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
    for config in apps.get_app_configs():
        if config.name == "hostedpbx":
            continue
        try:
            module = import_module(f"{config.name}.dashboard")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.dashboard":
                raise
            continue
        collected.extend(module.tiles(actor=actor, tenant=tenant, membership=membership))
    return sorted(collected, key=lambda tile: tile.order)

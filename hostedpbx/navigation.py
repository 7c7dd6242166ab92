"""The customer menu's navigation, collected from each part's ``navigation.py``.

Each part lists ``NAV_ITEMS = [NavItem(...), ...]``; only parts with working pages list any,
so the menu never offers a page that does not exist.
"""

from dataclasses import dataclass, field

from django.urls import reverse

from hostedpbx.parts import part_modules
from tenancy.choices import ALL_ROLES


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    roles: frozenset = field(default=ALL_ROLES)
    order: int = 100


def items_for(tenant, membership):
    collected = []
    for module in part_modules("navigation"):
        collected.extend(getattr(module, "NAV_ITEMS", []))
    visible = [item for item in collected if membership.role in item.roles]
    visible.sort(key=lambda item: item.order)
    return [
        {"label": item.label, "url": reverse(item.url_name, kwargs={"tenant_slug": tenant.slug}),
         "url_name": item.url_name}
        for item in visible
    ]

"""The customer menu's navigation, collected from each part's ``navigation.py``.

Each part lists ``NAV_ITEMS = [NavItem(...), ...]``; only parts with working pages list any,
so the menu never offers a page that does not exist.
"""

from dataclasses import dataclass, field

from django.urls import NoReverseMatch, reverse

from hostedpbx.parts import part_modules
from tenancy.choices import ALL_ROLES

# Icons of the vendored sprite (static/icons/lucide-sprite.svg) by URL name, then by part.
ICONS = {
    "tenancy:dashboard": "house",
    "tenancy:pbx-users": "phone",
    "tenancy:memberships": "users",
    "licensing:overview": "key-round",
    "licensing:matrix": "grid-3x3",
    "recordings:list": "audio-lines",
    "recordings:upload": "upload",
    "recordings:ingests": "activity",
}
PART_ICONS = {
    "supervision": "headset",
    "callrouting": "route",
    "audit": "scroll-text",
    "recordings": "audio-lines",
    "licensing": "key-round",
    "tenancy": "house",
}


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    roles: frozenset = field(default=ALL_ROLES)
    order: int = 100
    icon: str = ""


def _visible(membership):
    collected = []
    for module in part_modules("navigation"):
        collected.extend(getattr(module, "NAV_ITEMS", []))
    visible = [item for item in collected if membership.role in item.roles]
    visible.sort(key=lambda item: item.order)
    return visible


def items_for(tenant, membership, path=None):
    """The menu entries of ``membership``; the one whose URL is the longest prefix of ``path``
    is ``current``, so a sub-page (a licence's user page, the CSV import) highlights its
    section."""
    items = [
        {
            "label": item.label,
            "url": reverse(item.url_name, kwargs={"tenant_slug": tenant.slug}),
            "url_name": item.url_name,
            "icon": item.icon
            or ICONS.get(item.url_name)
            or PART_ICONS.get(item.url_name.split(":")[0], ""),
            "current": False,
        }
        for item in _visible(membership)
    ]
    if path:
        root = reverse("tenancy:dashboard", kwargs={"tenant_slug": tenant.slug})
        # The overview sits at the tenant's root, a prefix of every page: it matches only itself.
        matches = [
            item
            for item in items
            if path == item["url"] or (item["url"] != root and path.startswith(item["url"]))
        ]
        if matches:
            max(matches, key=lambda item: len(item["url"]))["current"] = True
    return items


def switch_url(resolver_match, membership):
    """Where the tenant switcher takes ``membership``: the same page in its tenant when the page
    names no object and the account's role there has it in its menu (or it is not a menu page),
    otherwise that tenant's overview."""
    slug = membership.tenant.slug
    fallback = reverse("tenancy:dashboard", kwargs={"tenant_slug": slug})
    if resolver_match is None or set(resolver_match.kwargs) != {"tenant_slug"}:
        return fallback
    name = resolver_match.view_name
    menu_names = {item.url_name for item in _visible(membership)}
    all_menu_names = {
        item.url_name
        for module in part_modules("navigation")
        for item in getattr(module, "NAV_ITEMS", [])
    }
    if name in all_menu_names and name not in menu_names:
        return fallback
    try:
        return reverse(name, kwargs={"tenant_slug": slug})
    except NoReverseMatch:
        return fallback
